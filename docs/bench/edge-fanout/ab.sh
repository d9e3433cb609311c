#!/usr/bin/env bash
mkdir -p ${RES:-/tmp/edge-fanout}
# ab.sh NAME REPS WORKERS "EDGE_EXTRA" bench-args...  : before/after alternately
# env: BEFORE=/path/to/main-checkout AFTER=/path/to/this-checkout (both built with make -j2), RES=results dir, SAMPLE="DELAY SECS" (edge workers CPU/RSS window)
N=$1; R=$2; W=$3; EX=$4; shift 4
for i in $(seq 1 $R); do
  for which in before after; do
    d=${AFTER:?checkout with the new edge}; [ $which = before ] && d=${BEFORE:?checkout built from main}
    EDGE_LOG=info $(dirname "$0")/run1.sh $d $W "--stats-interval-s 2 $EX" "$@" > ${RES:-/tmp/edge-fanout}/$N-$which-$i.txt 2>&1
    cp ${RES:-/tmp/edge-fanout}/last-edge.log ${RES:-/tmp/edge-fanout}/$N-$which-$i.edge.log
    echo "== $N $which $i"; grep -E "up .*load|publish:|delivery:|  all  |fan-out|complete|servers:|machine|edge workers" ${RES:-/tmp/edge-fanout}/$N-$which-$i.txt | sed 's/, http errors.*unanswered/ unans/'
  done
done
