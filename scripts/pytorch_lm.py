#!/usr/bin/env python3
"""PyTorch twin of nonlin's character-level transformer and its training loop, for side-by-side
validation loss and tokens/s (issue 16). It mirrors, in order:

- data: Tiny Shakespeare from ``crates/nonlin-train/data/tinyshakespeare/input.txt.gz``, the first
  90% of the characters for training and the rest for validation, the vocabulary the sorted
  characters of the training part (``nonlin_train::data::text``);
- windows: the same training windows, drawn by a port of nonlin's generator (xoshiro256** seeded
  by SplitMix64, stream ``lm-windows-{epoch}`` of the seed (an epoch is ``eval_interval`` steps,
  nonlin's ``steps_per_epoch``), ``below(len - context)`` per
  window), so both train on identical batches; validation on consecutive windows from the start
  of the validation part;
- model (``nonlin_train::model::transformer``): token + learned position embeddings, pre-norm
  blocks (LayerNorm eps 1e-5; causal multi-head attention with one qkv projection; feed-forward
  ``W2 act(W1 x)``, the GLU family as ``a * gate(b)`` over the halves of ``W1 x`` with the value
  first, hidden width ``round(2 d_ff / (w + 1))`` so every activation has the same weights),
  final norm, an untied head; weights N(0, 0.02), the two residual output projections
  N(0, 0.02 / sqrt(2 layers)), no biases;
- training (``nonlin_train::train::language_model`` with ``TrainingConfig::language_model``, the
  defaults here: 20 epochs of 250 steps on 16 windows, one epoch of warm-up): AdamW (betas
  0.9/0.999, eps 1e-8,
  decoupled weight decay on every parameter, as Burn's), linear warm-up then cosine per step,
  gradient clipping per parameter tensor (Burn's ``GradientClipping::Norm`` clips each tensor by
  its own norm, not the global norm of ``clip_grad_norm_``), evaluation every ``eval_interval``.

Initial weights are drawn by PyTorch, so single runs differ from nonlin's by the seed's luck;
compare means over seeds.

    pip install -r scripts/requirements.txt
    python scripts/pytorch_lm.py --activation swiglu --steps 300 --layers 2 --d-model 64 \\
        --context 32 --batch-size 32 --lr 3e-3 --min-lr 3e-4 --warmup 30 \\
        --eval-interval 30 --eval-windows 256
"""

import argparse
import gzip
import json
import math
import pathlib
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

MASK64 = (1 << 64) - 1
DATA = pathlib.Path(__file__).resolve().parent.parent / (
    "crates/nonlin-train/data/tinyshakespeare/input.txt.gz"
)


class Rng:
    """nonlin_train::rng::Rng: xoshiro256** seeded by SplitMix64."""

    def __init__(self, seed):
        sm = seed & MASK64
        state = []
        for _ in range(4):
            sm = (sm + 0x9E3779B97F4A7C15) & MASK64
            z = sm
            z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
            state.append(z ^ (z >> 31))
        self.s = state

    @classmethod
    def for_stream(cls, seed, stream):
        h = 0xCBF29CE484222325
        for b in stream.encode():
            h = ((h ^ b) * 0x100000001B3) & MASK64
        rotated = ((h << 17) | (h >> 47)) & MASK64
        return cls(seed ^ rotated)

    def next_u64(self):
        s0, s1, s2, s3 = self.s
        rotl = lambda x, k: ((x << k) | (x >> (64 - k))) & MASK64
        result = (rotl((s1 * 5) & MASK64, 7) * 9) & MASK64
        t = (s1 << 17) & MASK64
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotl(s3, 45)
        self.s = [s0, s1, s2, s3]
        return result

    def below(self, n):
        zone = MASK64 - (MASK64 % n)
        while True:
            v = self.next_u64()
            if v < zone:
                return v % n


def load_corpus():
    text = gzip.decompress(DATA.read_bytes()).decode("utf-8")
    cut = int(len(text) * 0.9)
    train_text, valid_text = text[:cut], text[cut:]
    symbols = sorted(set(train_text))
    ids = {c: i for i, c in enumerate(symbols)}
    train = torch.tensor([ids[c] for c in train_text], dtype=torch.long)
    valid = torch.tensor([ids[c] for c in valid_text], dtype=torch.long)
    return symbols, train, valid


GATES = {
    "glu": torch.sigmoid,
    "geglu": F.gelu,
    "swiglu": F.silu,
    "reglu": F.relu,
    "bilinear": lambda x: x,
}
POINTWISE = {
    "relu": F.relu,
    "gelu": F.gelu,
    "gelu_tanh": lambda x: F.gelu(x, approximate="tanh"),
    "silu": F.silu,
    "tanh": torch.tanh,
    "identity": lambda x: x,
}


def activation(spec):
    """(function, narrowing) for a spec: 1 for element-wise, 2 for the GLU family, k for Maxout."""
    if spec in GATES:
        gate = GATES[spec]

        def gated(h):
            a, b = h.chunk(2, dim=-1)
            return a * gate(b)

        return gated, 2
    if spec.startswith("maxout"):
        k = int(spec.split("k=")[1].rstrip(")")) if "k=" in spec else 2
        return (lambda h: h.unflatten(-1, (h.shape[-1] // k, k)).amax(-1)), k
    if spec in POINTWISE:
        return POINTWISE[spec], 1
    raise SystemExit(f"unknown activation {spec!r}: use one of "
                     f"{', '.join([*POINTWISE, *GATES, 'maxout(k=K)'])}")


class Block(nn.Module):
    def __init__(self, d, heads, hidden, act, narrowing, residual_std):
        super().__init__()
        self.heads = heads
        self.attention_norm = nn.LayerNorm(d, eps=1e-5)
        self.qkv = nn.Linear(d, 3 * d, bias=False)
        self.output = nn.Linear(d, d, bias=False)
        self.feed_forward_norm = nn.LayerNorm(d, eps=1e-5)
        self.expand = nn.Linear(d, hidden * narrowing, bias=False)
        self.contract = nn.Linear(hidden, d, bias=False)
        self.act = act
        for lin, std in [(self.qkv, 0.02), (self.output, residual_std),
                         (self.expand, 0.02), (self.contract, residual_std)]:
            nn.init.normal_(lin.weight, 0.0, std)

    def forward(self, x):
        batch, length, d = x.shape
        d_head = d // self.heads
        qkv = self.qkv(self.attention_norm(x)).view(batch, length, 3, self.heads, d_head)
        q, k, v = qkv.permute(2, 0, 3, 1, 4)
        attended = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.output(attended.transpose(1, 2).reshape(batch, length, d))
        return x + self.contract(self.act(self.expand(self.feed_forward_norm(x))))


class Transformer(nn.Module):
    def __init__(self, vocab, args):
        super().__init__()
        act, narrowing = activation(args.activation)
        hidden = args.d_ff
        if not args.no_match_parameters:
            hidden = max(1, math.floor(2 * args.d_ff / (narrowing + 1) + 0.5))
        self.hidden = hidden
        residual_std = 0.02 / math.sqrt(2 * args.layers)
        self.embedding = nn.Embedding(vocab, args.d_model)
        self.positions = nn.Embedding(args.context, args.d_model)
        self.blocks = nn.ModuleList(
            Block(args.d_model, args.heads, hidden, act, narrowing, residual_std)
            for _ in range(args.layers))
        self.final_norm = nn.LayerNorm(args.d_model, eps=1e-5)
        self.head = nn.Linear(args.d_model, vocab, bias=False)
        for emb in [self.embedding, self.positions]:
            nn.init.normal_(emb.weight, 0.0, 0.02)
        nn.init.normal_(self.head.weight, 0.0, 0.02)

    def forward(self, tokens):
        length = tokens.shape[1]
        x = self.embedding(tokens) + self.positions(torch.arange(length))
        for block in self.blocks:
            x = block(x)
        return self.head(self.final_norm(x))


def learning_rate_at(step, args):
    if step < args.warmup:
        return args.lr * (step + 1) / args.warmup
    decay_steps = args.steps - args.warmup
    if decay_steps <= 1:
        return args.lr
    progress = min(1.0, (step - args.warmup) / (decay_steps - 1))
    return args.min_lr + 0.5 * (args.lr - args.min_lr) * (1 + math.cos(math.pi * progress))


def windows(ids, starts, context):
    index = torch.tensor(starts).unsqueeze(1) + torch.arange(context)
    return ids[index], ids[index + 1]


@torch.no_grad()
def evaluate(model, valid, args):
    available = (len(valid) - 1) // args.context
    n = available if args.eval_windows == 0 else min(args.eval_windows, available)
    starts = [w * args.context for w in range(n)]
    loss_sum, hits = 0.0, 0
    for i in range(0, n, args.batch_size):
        chunk = starts[i:i + args.batch_size]
        x, y = windows(valid, chunk, args.context)
        logits = model(x).flatten(0, 1)
        y = y.flatten()
        loss_sum += F.cross_entropy(logits, y).item() * len(chunk)
        hits += (logits.argmax(1) == y).sum().item()
    return loss_sum / max(n, 1), hits / (max(n, 1) * args.context)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--activation", default="gelu")
    p.add_argument("--layers", type=int, default=4)
    p.add_argument("--d-model", type=int, default=128)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--d-ff", type=int, default=512)
    p.add_argument("--context", type=int, default=128)
    p.add_argument("--no-match-parameters", action="store_true")
    p.add_argument("--steps", type=int, default=5000)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--min-lr", type=float, default=1e-4)
    p.add_argument("--warmup", type=int, default=250)
    p.add_argument("--weight-decay", type=float, default=0.1)
    p.add_argument("--grad-clip", type=float, default=1.0, help="0: no clipping")
    p.add_argument("--eval-interval", type=int, default=250)
    p.add_argument("--eval-windows", type=int, default=0, help="0: the whole validation part")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--out", help="write the evaluations as JSON")
    args = p.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    symbols, train, valid = load_corpus()
    model = Transformer(len(symbols), args)
    parameters = sum(p.numel() for p in model.parameters())
    print(f"vocab {len(symbols)}, train {len(train)}, valid {len(valid)} characters; "
          f"{args.activation} (hidden {model.hidden}), {parameters} parameters, "
          f"{torch.get_num_threads()} threads")
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, betas=(0.9, 0.999), eps=1e-8,
                                  weight_decay=args.weight_decay)
    history = []
    intervals = -(-args.steps // args.eval_interval)
    for interval in range(intervals):
        started = time.perf_counter()
        rng = Rng.for_stream(args.seed, f"lm-windows-{interval}")
        first = interval * args.eval_interval
        last = min(first + args.eval_interval, args.steps)
        loss_sum = 0.0
        for step in range(first, last):
            lr = learning_rate_at(step, args)
            for group in optimizer.param_groups:
                group["lr"] = lr
            starts = [rng.below(len(train) - args.context) for _ in range(args.batch_size)]
            x, y = windows(train, starts, args.context)
            loss = F.cross_entropy(model(x).flatten(0, 1), y.flatten())
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if args.grad_clip > 0:
                for param in model.parameters():
                    norm = param.grad.norm()
                    param.grad.mul_(torch.clamp(args.grad_clip / (norm + 1.1754944e-38), max=1.0))
            optimizer.step()
            loss_sum += loss.item()
        train_seconds = time.perf_counter() - started
        model.eval()
        valid_loss, accuracy = evaluate(model, valid, args)
        model.train()
        steps = last - first
        entry = {
            "step": last,
            "train_loss": loss_sum / steps,
            "valid_loss": valid_loss,
            "valid_bits_per_char": valid_loss / math.log(2),
            "valid_accuracy": accuracy,
            "learning_rate": lr,
            "tokens_per_second": steps * args.batch_size * args.context / train_seconds,
            "seconds": time.perf_counter() - started,
        }
        history.append(entry)
        print(f"step {last}: train {entry['train_loss']:.4f} valid {valid_loss:.4f} nats "
              f"({entry['valid_bits_per_char']:.4f} bpc, accuracy {accuracy:.4f}), "
              f"lr {lr:.2e}, {entry['tokens_per_second']:.0f} tokens/s", flush=True)
    if args.out:
        pathlib.Path(args.out).write_text(json.dumps(
            {"args": vars(args), "parameters": parameters, "history": history}, indent=2))


if __name__ == "__main__":
    main()
