import json,sys,glob,os,re,statistics as st
# usage: summ.py label-glob...
for pat in sys.argv[1:]:
  rows=[]
  for f in sorted(glob.glob(os.environ.get('AB_OUT','/tmp/ab/res')+'/%s.json'%pat)):
    d=json.load(open(f)); lab=f.split('/')[-1][:-5]
    dl=d['delivery']; 
    txt=open(f[:-5]+'.txt').read()
    m=re.search(r'^\s+all\s+\d+\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)',txt,re.M)
    fo=re.search(r'^\s+fan-out\s+\d+\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)',txt,re.M)
    fr=re.search(r'([\d]+) frames/s',txt)
    comp=re.search(r'completeness: (\S+)',txt)
    srv=re.search(r'servers: cpu mean (\d+)%',txt); busy=re.search(r'busy (\d+)%',txt)
    pub=re.search(r'publish latency p50 [\d.]+ ms p99 ([\d.]+)',txt)
    ss=''
    try:
      a=[l.split() for l in open(f[:-5]+'.ss0')]; b=[l.split() for l in open(f[:-5]+'.ss1')]
      run=sum(int(y[0])-int(x[0]) for x,y in zip(a,b))/5e9; wait=sum(int(y[1])-int(x[1]) for x,y in zip(a,b))/5e9
      vol=sum(int(y[3])-int(x[3]) for x,y in zip(a,b))/5 if len(a[0])>4 else 0; inv=sum(int(y[4])-int(x[4]) for x,y in zip(a,b))/5 if len(a[0])>4 else 0
      ss='run %.2f wait %.2f cpu; vcs/s %d ivcs/s %d; edge cpu us/frame %.1f'%(run,wait,vol,inv, run*1e6/max(1,int(fr.group(1))))
    except Exception as e: ss=str(e)[:30]
    if int(fr.group(1))==0: print('%-22s INVALID (harness port clash: publishes hit the wrong server)'%lab); continue
    rows.append((lab,float(m.group(1)),float(m.group(3)),float(fo.group(3)),int(fr.group(1)),comp.group(1),srv.group(1),busy.group(1),pub.group(1),ss))
  for r in rows: print('%-22s p50 %7.1f p99 %7.1f fo-p99 %7.1f frames/s %6d %s srv%% %s busy %s pub99 %s | %s'%r)
  if rows: print('  MEDIAN p50 %.1f p99 %.1f frames/s %d'%(st.median(r[1] for r in rows),st.median(r[2] for r in rows),st.median(r[4] for r in rows)))
