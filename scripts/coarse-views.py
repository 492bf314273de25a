import json, torch, numpy as np
from transformers import AutoTokenizer, AutoModel
p="/root/.cache/anglevec/models/all-MiniLM-L6-v2"
tok=AutoTokenizer.from_pretrained(p); m=AutoModel.from_pretrained(p).eval()
docs=[json.loads(l) for l in open("/work/wt/facade/samples/debian-packages.jsonl")]
texts=[d["text"] for d in docs]; queries=[d["metadata"]["synopsis"] for d in docs]
def emb(ts):
    outs=[]
    for i in range(0,len(ts),64):
        b=tok(ts[i:i+64],padding=True,truncation=True,max_length=256,return_tensors="pt")
        with torch.no_grad(): hs=m(**b,output_hidden_states=True).hidden_states
        mask=b["attention_mask"].unsqueeze(-1).float()
        outs.append(torch.stack([(h*mask).sum(1)/mask.sum(1) for h in hs]))  # [7,B,384]
    return torch.cat(outs,1).numpy()
D=emb(texts); Q=emb(queries)
def view(X,l,d):
    v=X[l,:,:d]; return v/np.linalg.norm(v,axis=1,keepdims=True)
full_d=view(D,6,384); full_q=view(Q,6,384)
S=full_q@full_d.T; truth=np.argsort(-S,1)[:,:10]
hit_full=np.mean(np.argmax(S,1)==np.arange(len(docs)))
print("N",len(docs),"self-hit@1 full",hit_full)
for l in [2,3,4,6]:
  for d in [64,128,192,384]:
    c=view(Q,l,d)@view(D,l,d).T
    order=np.argsort(-c,1)
    r_only=np.mean([len(set(order[i,:10])&set(truth[i]))/10 for i in range(len(docs))])
    res=[]
    for kp in [20,40]:
        short=order[:,:kp]
        rr=[short[i][np.argsort(-S[i,short[i]])[:10]] for i in range(len(docs))]
        res.append(np.mean([len(set(rr[i])&set(truth[i]))/10 for i in range(len(docs))]))
    h1=np.mean(order[:,0]==np.arange(len(docs)))
    print(f"L{l} d{d}: coarse-only recall@10 {r_only:.3f}  rerank k'=20 {res[0]:.3f} k'=40 {res[1]:.3f}  coarse self-hit@1 {h1:.3f}")
