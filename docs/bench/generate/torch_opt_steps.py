"""PyTorch baseline for `qformer bench generate --lm opt`: an OPT-125m-shaped decoder (random weights, fp32, eager)
run the way HF's OPTForCausalLM runs greedy decoding with its KV cache: the prompt once, then one token per step,
keys/values concatenated per layer. Prints prefill and per-step medians (ms) for batch 1 and 8.

Run: /usr/bin/python3 docs/bench/generate/torch_opt_steps.py   (Debian's python3-torch 1.13)
"""
import statistics
import time

import torch

torch.manual_seed(0)
torch.set_num_threads(2)
D, H, L, F, V, PROMPT, NEW = 768, 12, 12, 3072, 50272, 40, 30


def lin(i, o):
    return torch.nn.Linear(i, o)


class Layer(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.q, self.k, self.v, self.o = lin(D, D), lin(D, D), lin(D, D), lin(D, D)
        self.ln1, self.ln2 = torch.nn.LayerNorm(D), torch.nn.LayerNorm(D)
        self.fc1, self.fc2 = lin(D, F), lin(F, D)

    def forward(self, h, mask, cache):
        b, t, _ = h.shape
        x = self.ln1(h)
        split = lambda y: y.view(b, t, H, D // H).transpose(1, 2)
        q, k, v = split(self.q(x) * (D // H) ** -0.5), split(self.k(x)), split(self.v(x))
        if cache is not None:
            k, v = torch.cat([cache[0], k], 2), torch.cat([cache[1], v], 2)
        p = torch.softmax(q @ k.transpose(-1, -2) + mask, -1)
        h = h + self.o((p @ v).transpose(1, 2).reshape(b, t, D))
        h = h + self.fc2(torch.relu(self.fc1(self.ln2(h))))
        return h, (k, v)


layers = torch.nn.ModuleList(Layer() for _ in range(L))
embed, positions, final = torch.nn.Embedding(V, D), torch.nn.Embedding(2050, D), torch.nn.LayerNorm(D)


def run(batch):
    ids = torch.randint(0, V, (batch, PROMPT))
    with torch.no_grad():
        t0 = time.perf_counter()
        h = embed(ids) + positions(torch.arange(PROMPT) + 2)
        mask = torch.full((PROMPT, PROMPT), -1e9).triu(1)
        caches = []
        for layer in layers:
            h, kv = layer(h, mask, None)
            caches.append(kv)
        nxt = (final(h[:, -1:]) @ embed.weight.T).argmax(-1)
        prefill = (time.perf_counter() - t0) * 1e3
        steps = []
        for s in range(NEW - 1):
            t = time.perf_counter()
            h = embed(nxt) + positions(torch.tensor([PROMPT + s + 2]))
            for i, layer in enumerate(layers):
                h, caches[i] = layer(h, torch.zeros(1), caches[i])
            nxt = (final(h) @ embed.weight.T).argmax(-1)
            steps.append((time.perf_counter() - t) * 1e3)
    return prefill, steps


for batch in (1, 8):
    run(batch)                                                    # warm-up
    results = [run(batch) for _ in range(3)]
    prefill = statistics.median(r[0] for r in results)
    step = statistics.median(statistics.median(r[1]) for r in results)
    print(f"batch {batch}: prefill {prefill:.1f} ms, step {step:.1f} ms, {batch * 1000 / step:.1f} tokens/s "
          f"(torch {torch.__version__}, {torch.get_num_threads()} threads)")
