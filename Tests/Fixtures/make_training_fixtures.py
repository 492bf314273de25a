#!/usr/bin/env python3
"""Fixtures for anglevec's native training (Sources/Embed/Training).

Calls angle_emb 0.6.1's own loss functions (angle_emb/loss.py, angle_emb/angle.py) on fixed
random pooled embeddings, with torch autograd gradients w.r.t. the embeddings, and runs
torch.optim.AdamW + transformers' get_linear_schedule_with_warmup + clip_grad_norm_ for a few
steps, exactly as the HF Trainer that AnglE.fit() uses does.

Run with the reference venv:
    /root/.cache/anglevec/venv/bin/python Tests/Fixtures/make_training_fixtures.py
Writes Tests/Fixtures/training/*.json.
"""
import json
import math
import os
import types
import types as types_ns

import torch
import torch.nn.functional as F
from angle_emb.angle import AngleESETrainer, AngleLoss, AngleTrainer
from angle_emb.loss import (
    angle_loss,
    contrastive_with_negative_loss,
    cosine_loss,
    in_batch_negative_loss,
)
from transformers import get_linear_schedule_with_warmup

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'training')
# float64 so the oracle is exact to well below the tests' 1e-5 tolerance.
DT = torch.float64


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def leaf(g, rows, dim):
    return torch.randn(rows, dim, generator=g, dtype=DT).requires_grad_(True)


def case_single(name, fn, x, **meta):
    """fn(x) -> scalar; records value and d value / d x."""
    loss = fn(x)
    loss.backward()
    return dict(name=name, rows=x.shape[0], dim=x.shape[1], embeddings=flat(x),
                loss=float(loss.detach()), gradient=flat(x.grad), **meta)


def loss_cases():
    g = torch.Generator().manual_seed(1234)
    cases = []

    # cosine_loss (CoSENT): zigzag pairs, float labels with ties.
    for tau in (20.0, 1.0):
        x = leaf(g, 10, 12)
        pair_labels = torch.tensor([0.2, 3.0, 3.0, 1.5, 4.8], dtype=DT)
        labels = pair_labels.repeat_interleave(2)[:, None]
        cases.append(case_single(f'cosine_tau{tau:g}', lambda v: cosine_loss(labels, v, tau), x,
                                 loss_name='cosine', tau=tau, labels=flat(labels)))

    # angle_loss: complex division in the two halves of each vector, pooling sum/mean.
    for pooling in ('sum', 'mean'):
        x = leaf(g, 10, 12)
        pair_labels = torch.tensor([1.0, 0.0, 2.5, 2.5, 4.0], dtype=DT)
        labels = pair_labels.repeat_interleave(2)[:, None]
        cases.append(case_single(f'angle_{pooling}', lambda v: angle_loss(labels, v, 20.0, pooling), x,
                                 loss_name='angle', tau=20.0, pooling=pooling, labels=flat(labels)))

    # in_batch_negative_loss: labels are cast to int (0.7 -> 0, 2.0 -> 2: the index*label quirk).
    label_sets = {
        'ibn_binary': [1, 1, 0, 1, 1, 0],
        'ibn_int_quirk': [1, 2, 0.7, 2, 1, 1],
    }
    for nm, pair_labels in label_sets.items():
        x = leaf(g, 12, 8)
        labels = torch.tensor(pair_labels, dtype=DT).repeat_interleave(2)[:, None]
        cases.append(case_single(nm, lambda v: in_batch_negative_loss(labels, v, 20.0), x,
                                 loss_name='in_batch_negative', tau=20.0, negative_weights=0.0, labels=flat(labels)))
    x = leaf(g, 12, 8)
    labels = torch.tensor([1, 0, 1, 0, 1, 1], dtype=DT).repeat_interleave(2)[:, None]
    cases.append(case_single('ibn_negative_weights', lambda v: in_batch_negative_loss(labels, v, 20.0, 0.5), x,
                             loss_name='in_batch_negative', tau=20.0, negative_weights=0.5, labels=flat(labels)))

    # contrastive_with_negative_loss: rows [text; pos; neg] stacked, B each.
    for with_neg in (False, True):
        b, d = 5, 10
        x = leaf(g, b * (3 if with_neg else 2), d)

        def fn(v, with_neg=with_neg):
            return contrastive_with_negative_loss(v[:b], v[b:2 * b], v[2 * b:] if with_neg else None, tau=20.0)
        cases.append(case_single('cln_neg' if with_neg else 'cln_noneg', fn, x,
                                 loss_name='contrastive_with_negative', tau=20.0, batch=b, with_negative=with_neg))
    return cases


def combined_cases():
    g = torch.Generator().manual_seed(99)
    cases = []
    # Format A: (text1, text2) zigzag rows, labels per row.
    for kw in ({}, {'cosine_w': 1.0}, {'cosine_w': 0.5, 'ibn_w': 0.0, 'angle_w': 1.0, 'angle_tau': 5.0}):
        x = leaf(g, 8, 12)
        labels = torch.tensor([1, 0, 1, 1], dtype=DT).repeat_interleave(2)[:, None]
        fn = AngleLoss(dataset_format='A', **kw)
        cases.append(case_single('A_' + ('_'.join(f'{k}{v:g}' for k, v in kw.items()) or 'default'),
                                 lambda v: fn(labels, v), x, format='A', weights=kw, labels=flat(labels)))
    # Format B: [q, p] rows.
    x = leaf(g, 10, 12)
    labels = -torch.ones(10, 1, dtype=DT)
    fn_b = AngleLoss(dataset_format='B')
    cases.append(case_single('B_default', lambda v: fn_b(labels, v), x, format='B', weights={}, labels=flat(labels)))
    # Format C: [q, p, n] rows.
    for kw in ({}, {'cosine_w': 1.0}, {'cln_w': 0.0}):
        x = leaf(g, 12, 12)
        labels = -torch.ones(12, 1, dtype=DT)
        fn = AngleLoss(dataset_format='C', **kw)
        cases.append(case_single('C_' + ('_'.join(f'{k}{v:g}' for k, v in kw.items()) or 'default'),
                                 lambda v: fn(labels, v), x, format='C', weights=kw, labels=flat(labels)))
    return cases


def exact_pca_compress(m, k):
    """angle_emb's pca_compress with the exact top-k SVD instead of torch.svd_lowrank's randomized
    one, and a deterministic sign (largest-|.| entry of each right singular vector positive)."""
    with torch.no_grad():
        a = F.softmax(m.T @ m / m.shape[-1] ** 0.5, dim=-1)
        u, s, vh = torch.linalg.svd(a)
        u, s, vh = u[:, :k], s[:k], vh[:k]
        idx = vh.abs().argmax(dim=1)
        sign = torch.sign(vh[torch.arange(k), idx])
        return m @ (u * sign[None, :] * s[None, :])


def ese_cases():
    g = torch.Generator().manual_seed(7)
    cases = []
    for fmt, rows, n_layers, k, temp in (('A', 8, 4, 6, 1.0), ('C', 9, 3, 4, 2.0)):
        dim = 16
        # hidden_states[0..n_layers]: shape (rows, 1, dim) so 'cls' pooling is the identity.
        hidden = [torch.randn(rows, 1, dim, generator=g, dtype=DT).requires_grad_(True) for _ in range(n_layers + 1)]
        labels = (torch.tensor([1, 0, 1, 1], dtype=DT).repeat_interleave(2)[:, None] if fmt == 'A'
                  else -torch.ones(rows, 1, dtype=DT))
        targets = {}

        def pca(m, kk, _t=targets):
            out = exact_pca_compress(m, kk)
            _t[len(_t)] = out
            return out

        fake = types.SimpleNamespace()
        fake.loss_fct = AngleLoss(dataset_format=fmt)
        fake.ese_compression_size = k
        fake.ese_kl_temperature = temp
        fake.apply_ese_pca = True
        fake.n_layers = n_layers
        fake.teacher_name_or_path = None
        fake.pca_compress = pca
        fake.compute_distillation_loss = types.MethodType(AngleTrainer.compute_distillation_loss, fake)
        fake.compute_student_loss = types.MethodType(AngleESETrainer.compute_student_loss, fake)
        fake.pooler = lambda inputs, **kw: list(hidden)
        fake.pooler.pooling_strategy = 'cls'
        fake.pooler.padding_side = 'right'
        pooler_fn = fake.pooler

        class P:
            pooling_strategy = 'cls'
            padding_side = 'right'

            def __call__(self, inputs, **kw):
                return pooler_fn(inputs, **kw)
        fake.pooler = P()
        loss = AngleESETrainer.compute_loss(fake, None, {'labels': labels})
        loss.backward()
        # views in the order compute_loss builds the PCA targets: teacher, then students 0..n_layers-2
        pooled = [h[:, 0].detach() for h in hidden]
        cases.append(dict(
            name=f'ese_{fmt}', format=fmt, rows=rows, dim=dim, layers=n_layers, compression_size=k,
            kl_temperature=temp, labels=flat(labels),
            teacher=flat(pooled[-1]), students=[flat(p) for p in pooled[:n_layers - 1]],
            teacher_target=flat(targets[0]), student_targets=[flat(targets[i + 1]) for i in range(n_layers - 1)],
            loss=float(loss.detach()),
            teacher_gradient=flat(hidden[-1].grad[:, 0]),
            student_gradients=[flat(h.grad[:, 0]) for h in hidden[:n_layers - 1]],
            unused_layer_gradient_is_zero=bool(hidden[n_layers - 1].grad is None)))

    # compute_distillation_loss alone: MSE + T * KL(batchmean).
    for mse_w, temp in ((1.0, 1.0), (1.0, 2.0), (0.0, 0.5)):
        x = leaf(g, 6, 7)
        t = torch.randn(6, 7, generator=g, dtype=DT)
        loss = AngleTrainer.compute_distillation_loss(None, x, t, mse_weight=mse_w, kl_temperature=temp)
        loss.backward()
        cases.append(dict(name=f'distill_mse{mse_w:g}_T{temp:g}', rows=6, dim=7, embeddings=flat(x), targets=flat(t),
                          mse_weight=mse_w, kl_temperature=temp, loss=float(loss.detach()), gradient=flat(x.grad)))
    # pca_compress (exact SVD variant) for the Swift PCA.
    m = torch.randn(10, 12, generator=g, dtype=DT)
    cases.append(dict(name='pca', rows=10, dim=12, k=4, embeddings=flat(m), compressed=flat(exact_pca_compress(m, 4))))
    return cases


def optimizer_cases():
    """AdamW (the Trainer's adamw_torch_fused) + linear warmup/decay + clip_grad_norm_(1.0)."""
    g = torch.Generator().manual_seed(5)
    cases = []
    # the last case has gradients ~1e-7, where eps sits (after the bias correction) matters
    for wd, lr, warmup, total, scale in ((0.0, 1e-2, 2, 7, 1.0), (0.01, 3e-3, 0, 5, 0.1), (0.1, 1e-2, 3, 8, 3.0),
                                         (0.0, 1e-2, 0, 4, 1e-7)):
        p1 = torch.randn(6, generator=g, dtype=torch.float32)
        p2 = torch.randn(2, 3, generator=g, dtype=torch.float32)
        init = [flat(p1), flat(p2)]
        params = [torch.nn.Parameter(p1.clone()), torch.nn.Parameter(p2.clone())]
        opt = torch.optim.AdamW(params, lr=lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=wd, fused=True)
        sched = get_linear_schedule_with_warmup(opt, warmup, total)
        steps = []
        for step in range(total):
            grads = [torch.randn(p.shape, generator=g, dtype=torch.float32) * scale for p in params]
            for p, gr in zip(params, grads):
                p.grad = gr.clone()
            lr_used = sched.get_last_lr()[0]
            norm = torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            sched.step()
            opt.zero_grad()
            steps.append(dict(gradients=[flat(gr) for gr in grads], lr=lr_used, grad_norm=float(norm),
                              params=[flat(p) for p in params]))
        cases.append(dict(name=f'adamw_wd{wd:g}_lr{lr:g}_w{warmup}_t{total}', weight_decay=wd, lr=lr,
                          warmup_steps=warmup, total_steps=total, max_grad_norm=1.0, betas=[0.9, 0.999],
                          eps=1e-8, initial=init, steps=steps))
    sched_lrs = {}
    for warmup, total in ((0, 4), (3, 10), (10, 10), (5, 3)):
        opt = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))], lr=2.0)
        sched = get_linear_schedule_with_warmup(opt, warmup, total)
        lrs = []
        for _ in range(total + 3):
            lrs.append(sched.get_last_lr()[0])
            opt.step()
            sched.step()
        sched_lrs[f'{warmup}_{total}'] = lrs
    return dict(optimizer=cases, schedule=sched_lrs)


def collator_cases():
    """AngleDataCollator's filter_duplicate on the default (uncased WordPiece) tokenizer: which
    examples of a batch survive. Format A examples carry their index as label to identify them."""
    from angle_emb.angle import AngleDataCollator
    from transformers import AutoTokenizer
    tok = AutoTokenizer.from_pretrained(os.path.expanduser('~/.cache/anglevec/models/all-MiniLM-L6-v2'))
    cases = []
    a = [('A cat sits.', 'A dog runs.'), ('a CAT sits.', 'Birds fly.'), ('Fish swim.', 'Fish swim.'),
         ('Rain falls.', 'Snow melts.'), ('Snow melts.', 'Wind blows.'), ('Sun shines.', 'rain  falls.'),
         ('Moon rises.', 'Stars fade.')]
    feats = [{'text1': t1, 'text2': t2, 'label': float(i)} for i, (t1, t2) in enumerate(a)]
    for prompt in (None, 'Q: {text}'):
        batch = AngleDataCollator(tok, filter_duplicate=True, text_prompt=prompt, dataset_format='A')(feats)
        kept = [int(v) for v in batch['labels'][::2, 0].tolist()]
        cases.append(dict(format='A', examples=[list(x) for x in a], text_prompt=prompt, kept=kept,
                          rows=tok.batch_decode(batch['input_ids'], skip_special_tokens=True)))
    c = [('q1', 'p1', 'n1'), ('q2', 'P1', 'n2'), ('q3', 'p3', 'q3'), ('q4', 'p4', 'n4'), ('Q4', 'p5', 'n5')]
    feats = [{'query': q, 'positive': p, 'negative': n} for q, p, n in c]
    batch = AngleDataCollator(tok, filter_duplicate=True, query_prompt='query: {text}', doc_prompt='doc: {text}',
                              dataset_format='C')(feats)
    rows = tok.batch_decode(batch['input_ids'], skip_special_tokens=True)
    cases.append(dict(format='C', examples=[list(x) for x in c], query_prompt='query: {text}', doc_prompt='doc: {text}',
                      rows=rows, labels=[float(v) for v in batch['labels'][:, 0].tolist()]))
    return cases


def tiny_bert_gradients():
    """Whole-model parameter gradients of the encoder fixtures' tiny random BertModel (eval mode: no
    dropout) under AngleLoss(A) on mean-pooled hidden_states[2] plus 0.5 x AngleLoss(A) on the CLS
    vector of hidden_states[1] truncated to 16 dims (an ESE-style shallow view)."""
    from transformers import BertModel
    folder = os.path.join(os.path.dirname(OUT), 'encoder', 'tiny-bert-f32')
    model = BertModel.from_pretrained(folder, attn_implementation='eager').float()
    model.eval()
    g = torch.Generator().manual_seed(11)
    lengths = [7, 5, 6, 3, 7, 4]
    seq = max(lengths)
    ids = torch.zeros(len(lengths), seq, dtype=torch.long)
    types = torch.zeros(len(lengths), seq, dtype=torch.long)
    mask = torch.zeros(len(lengths), seq, dtype=torch.long)
    for i, n in enumerate(lengths):
        ids[i, :n] = torch.randint(1, 120, (n,), generator=g)
        ids[i, 0], ids[i, n - 1] = 2, 3
        types[i, n // 2:n] = i % 2
        mask[i, :n] = 1
    labels = torch.tensor([1, 1, 0, 0, 1, 1], dtype=torch.float32)[:, None]
    out = model(input_ids=ids, token_type_ids=types, attention_mask=mask, output_hidden_states=True)
    hs = out.hidden_states
    m = mask[:, :, None].float()
    pooled = (hs[2] * m).sum(1) / m.sum(1)
    shallow = hs[1][:, 0, :16]
    loss_fn = AngleLoss(dataset_format='A')
    loss = loss_fn(labels, pooled) + 0.5 * loss_fn(labels, shallow)
    loss.backward()
    result = dict(ids=[r[:n] for r, n in zip(ids.tolist(), lengths)],
                  type_ids=[r[:n] for r, n in zip(types.tolist(), lengths)],
                  labels=flat(labels), loss=float(loss.detach()), pooled=flat(pooled), shallow=flat(shallow),
                  gradients={name: flat(p.grad) for name, p in model.named_parameters() if p.grad is not None})

    # AngleESETrainer.compute_loss itself (avg pooling, compression 16, exact-SVD PCA) on the same batch.
    model.zero_grad()
    fake = types_ns.SimpleNamespace(loss_fct=AngleLoss(dataset_format='A'), ese_compression_size=16, ese_kl_temperature=1.0,
                                    apply_ese_pca=True, n_layers=model.config.num_hidden_layers, teacher_name_or_path=None,
                                    pca_compress=exact_pca_compress)
    fake.compute_distillation_loss = types_ns.MethodType(AngleTrainer.compute_distillation_loss, fake)
    fake.compute_student_loss = types_ns.MethodType(AngleESETrainer.compute_student_loss, fake)

    class P:
        pooling_strategy = 'avg'
        padding_side = 'right'

        def __call__(self, inputs, **kw):
            return list(model(output_hidden_states=True, return_dict=True, **inputs).hidden_states)
    fake.pooler = P()
    ese_loss = AngleESETrainer.compute_loss(fake, model, dict(input_ids=ids, token_type_ids=types, attention_mask=mask, labels=labels))
    ese_loss.backward()
    result['ese'] = dict(compression_size=16, kl_temperature=1.0, pooling='avg', loss=float(ese_loss.detach()),
                         gradients={name: flat(p.grad) for name, p in model.named_parameters() if p.grad is not None})

    # Then one optimizer step as the HF Trainer takes it: clip_grad_norm_(1.0), fused AdamW with weight
    # decay on every tensor but biases and LayerNorm weights (Trainer.get_decay_parameter_names).
    params = [(n, p) for n, p in model.named_parameters() if p.grad is not None]
    no_decay = lambda n: n.endswith('bias') or 'LayerNorm' in n  # NOQA: E731
    opt = torch.optim.AdamW([{'params': [p for n, p in params if not no_decay(n)], 'weight_decay': 0.1},
                             {'params': [p for n, p in params if no_decay(n)], 'weight_decay': 0.0}],
                            lr=1e-3, fused=True)
    norm = torch.nn.utils.clip_grad_norm_([p for _, p in params], 1.0)
    opt.step()
    keep = ['embeddings.word_embeddings.weight', 'embeddings.LayerNorm.weight', 'encoder.layer.0.attention.self.key.weight',
            'encoder.layer.1.intermediate.dense.bias', 'encoder.layer.1.output.dense.weight']
    result['step'] = dict(lr=1e-3, weight_decay=0.1, max_grad_norm=1.0, grad_norm=float(norm),
                          params={n: flat(p) for n, p in params if n in keep})
    return result


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    for name, data in (('losses', loss_cases()), ('angle_loss', combined_cases()), ('ese', ese_cases()),
                       ('optimizer', optimizer_cases()), ('collator', collator_cases()),
                       ('tiny_bert_gradients', tiny_bert_gradients())):
        with open(os.path.join(OUT, name + '.json'), 'w') as f:
            json.dump(data, f, separators=(',', ':'))
        print('wrote', name)


if __name__ == '__main__':
    main()
