#!/usr/bin/env python3
"""Generates the LGModelIO test fixtures (run from this folder; needs numpy only, not torch).

Writes:
  legacy_small.pth   a checkpoint in torch.save(..., _use_new_zipfile_serialization=False)
                     format, crafted exactly as torch/serialization.py `_legacy_save` does:
                     pickle(MAGIC) pickle(1001) pickle(sys_info) pickle(obj, persistent ids
                     ('storage', StorageType, key, 'cpu', numel, view_metadata))
                     pickle(sorted keys) then per key: int64 numel + raw bytes.
  refused_numpy.pth  a zip checkpoint whose data.pkl holds a numpy array (refused global).
  bad_*.pth          zip checkpoints with a too-small storage / a missing storage entry.
  miou_case_zip64.pth  miou_case.pth re-packed with ZIP64 records forced and deflate entries.
  pickle_p0..5.pkl   one plain object pickled with each protocol (opcode coverage).
  py_*.png           PNGs written with Python's zlib (RGBA with all 5 filters; palette).
  np_*.npy           arrays written by numpy (dtypes, Fortran order, version 2.0).
  expected.json      reference values for all of the above and for the zip fixtures,
                     computed with a restricted pickle.Unpickler + zipfile + numpy.
"""
import collections, io, json, pickle, struct, sys, types, zipfile, zlib
import numpy as np

# ---------------------------------------------------------------- fake torch
# Stand-ins registered under the names torch uses, so pickle writes the same
# GLOBAL opcodes ('torch FloatStorage', 'torch._utils _rebuild_tensor_v2', ...).
torch = types.ModuleType("torch")
torch_utils = types.ModuleType("torch._utils")
sys.modules["torch"] = torch
sys.modules["torch._utils"] = torch_utils
torch._utils = torch_utils

def _rebuild_tensor_v2(*a): raise RuntimeError("never called")
def _rebuild_parameter(*a): raise RuntimeError("never called")
_rebuild_tensor_v2.__module__ = "torch._utils"
_rebuild_parameter.__module__ = "torch._utils"
torch_utils._rebuild_tensor_v2 = _rebuild_tensor_v2
torch_utils._rebuild_parameter = _rebuild_parameter

STORAGE_DTYPES = {"FloatStorage": "<f4", "LongStorage": "<i8", "HalfStorage": "<f2",
                  "BFloat16Storage": "<u2", "DoubleStorage": "<f8", "IntStorage": "<i4",
                  "ByteStorage": "u1", "BoolStorage": "?"}
for name in STORAGE_DTYPES:
    cls = type(name, (), {"__module__": "torch"})
    setattr(torch, name, cls)


class Storage:
    """A storage: `key` plays the role of str(storage._cdata)."""
    def __init__(self, kind, key, array, view=None):
        self.kind, self.key, self.array, self.view = kind, key, np.ascontiguousarray(array), view


class Tensor:
    def __init__(self, storage, offset, size, stride):
        self.storage, self.offset, self.size, self.stride = storage, offset, tuple(size), tuple(stride)

    def __reduce_ex__(self, proto):
        # torch.Tensor._reduce_ex_internal for a plain CPU tensor
        return (_rebuild_tensor_v2, (self.storage, self.offset, self.size, self.stride, False,
                                     collections.OrderedDict()))


class Parameter:
    def __init__(self, t): self.t = t
    def __reduce_ex__(self, proto):
        return (_rebuild_parameter, (self.t, True, collections.OrderedDict()))


def legacy_save(obj, path):
    serialized = {}

    def persistent_id(o):
        if isinstance(o, Storage):
            root = o.view[0] if o.view else o
            serialized[root.key] = root
            view_metadata = None
            if o.view:
                # old torch: (view_key, offset, view_size) in elements
                view_metadata = (o.key, o.view[1], o.view[2])
            return ("storage", getattr(torch, root.kind), root.key, "cpu", root.array.size, view_metadata)
        return None

    f = io.BytesIO()
    pickle.dump(0x1950a86a20f9469cfc6c, f, protocol=2)
    pickle.dump(1001, f, protocol=2)
    pickle.dump(dict(protocol_version=1001, little_endian=True,
                     type_sizes=dict(short=2, int=4, long=4)), f, protocol=2)
    p = pickle.Pickler(f, protocol=2)
    p.persistent_id = persistent_id
    p.dump(obj)
    keys = sorted(serialized.keys())
    pickle.dump(keys, f, protocol=2)
    for k in keys:
        a = serialized[k].array
        f.write(struct.pack("<q", a.size))
        f.write(a.tobytes())
    open(path, "wb").write(f.getvalue())


# ------------------------------------------------------------ legacy fixture
w = np.arange(24, dtype=np.float32).reshape(2, 3, 4) * 0.5 - 3.0
s_w = Storage("FloatStorage", "94061122334400", w.ravel())
base = (np.arange(12, dtype=np.float32) + 1) / 8
s_base = Storage("FloatStorage", "94061122334144", base)
ints = np.array([-3, 0, 7, 2**40, -(2**33)], dtype=np.int64)
s_int = Storage("LongStorage", "94061122335000", ints)
half = np.array([1.0, -2.5, 65504.0, 6.1035156e-05, 5.9604645e-08, 0.0], dtype=np.float16)
s_half = Storage("HalfStorage", "94061122336000", half)
bf_src = np.array([1.0, -0.15625, 3.0e38, 2.5], dtype=np.float32)
bf = (bf_src.view(np.uint32) >> 16).astype(np.uint16)
s_bf = Storage("BFloat16Storage", "94061122337000", bf)
# an old-style storage view: elements 4..<10 of a root storage
root = Storage("FloatStorage", "94061122338000", np.linspace(-1, 1, 16).astype(np.float32))
s_view = Storage("FloatStorage", "94061122338999", None, view=(root, 4, 6))
s_view.array = root.array[4:10]

model = collections.OrderedDict()
model["conv.weight"] = Tensor(s_w, 0, (2, 3, 4), (12, 4, 1))
# non-contiguous view: transpose of a (2,3) block starting at element 2
model["conv.weight_t"] = Tensor(s_base, 2, (3, 2), (1, 3))
model["bn.num_batches_tracked"] = Tensor(s_int, 0, (), ())
model["ids"] = Tensor(s_int, 0, (5,), (1,))
model["param"] = Parameter(Tensor(s_base, 0, (4,), (1,)))
model._metadata = collections.OrderedDict([("", {"version": 1}), ("conv", {"version": 1})])
obj = {
    "model": model,
    "extra": collections.OrderedDict([("half", Tensor(s_half, 0, (2, 3), (3, 1))),
                                      ("bf16", Tensor(s_bf, 1, (3,), (1,))),
                                      ("view", Tensor(s_view, 1, (2, 2), (2, 1)))]),
    "epoch": 7, "lr": 0.0025, "name": "legacy", "flags": [True, False, None],
    "list": [Tensor(s_base, 10, (2,), (1,)), 3, (1, 2)],
}
legacy_save(obj, "legacy_small.pth")


def view_values(arr, offset, size, stride):
    return np.lib.stride_tricks.as_strided(arr[offset:], shape=size,
                                           strides=[s * arr.itemsize for s in stride]).astype(np.float64)

legacy_expected = {
    "model.conv.weight": {"dtype": "float32", "shape": [2, 3, 4], "values": w.ravel().tolist()},
    "model.conv.weight_t": {"dtype": "float32", "shape": [3, 2],
                            "values": view_values(base, 2, (3, 2), (1, 3)).ravel().tolist()},
    "model.bn.num_batches_tracked": {"dtype": "int64", "shape": [], "ints": [-3]},
    "model.ids": {"dtype": "int64", "shape": [5], "ints": ints.tolist()},
    "model.param": {"dtype": "float32", "shape": [4], "values": base[:4].tolist()},
    "extra.half": {"dtype": "float16", "shape": [2, 3], "values": half.astype(np.float64).tolist()},
    "extra.bf16": {"dtype": "bfloat16", "shape": [3],
                   "values": (bf.astype(np.uint32) << 16).view(np.float32)[1:4].astype(np.float64).tolist()},
    "extra.view": {"dtype": "float32", "shape": [2, 2], "values": root.array[5:9].astype(np.float64).tolist()},
    "list.0": {"dtype": "float32", "shape": [2], "values": base[10:12].tolist()},
}

# ----------------------------------------------------- refused-global fixture
with zipfile.ZipFile("refused_numpy.pth", "w") as z:
    z.writestr("refused_numpy/data.pkl", pickle.dumps({"w": np.zeros(3, np.float32)}, protocol=2))
refused_global = None
class Probe(pickle.Unpickler):
    def find_class(self, m, n):
        global refused_global
        if refused_global is None and m.startswith("numpy"):
            refused_global = m + "." + n
        return super().find_class(m, n)
Probe(io.BytesIO(zipfile.ZipFile("refused_numpy.pth").read("refused_numpy/data.pkl"))).load()

# ------------------------------------------------------- bad zip checkpoints
def zip_save(obj, path, folder, storages_to_write):
    def persistent_id(o):
        if isinstance(o, Storage):
            return ("storage", getattr(torch, o.kind), o.key, "cpu", o.array.size)
        return None
    f = io.BytesIO()
    p = pickle.Pickler(f, protocol=2)
    p.persistent_id = persistent_id
    p.dump(obj)
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(folder + "/data.pkl", f.getvalue())
        z.writestr(folder + "/byteorder", "little")
        for st in storages_to_write:
            z.writestr(folder + "/data/" + st.key, st.array.tobytes())

small = Storage("FloatStorage", "0", np.arange(4, dtype=np.float32))
zip_save({"w": Tensor(small, 0, (3, 3), (3, 1))}, "bad_small_storage.pth", "archive", [small])
zip_save({"w": Tensor(small, 0, (2, 2), (2, 1))}, "bad_missing_storage.pth", "weights", [])

# ------------------------------------------------- ZIP64 + deflate re-pack
src = zipfile.ZipFile("miou_case.pth")
saved = (zipfile.ZIP64_LIMIT, zipfile.ZIP_FILECOUNT_LIMIT)
zipfile.ZIP64_LIMIT, zipfile.ZIP_FILECOUNT_LIMIT = 16, 1   # force ZIP64 extra fields and end records
with zipfile.ZipFile("miou_case_zip64.pth", "w") as z:
    for i, info in enumerate(src.infolist()):
        z.writestr(info.filename, src.read(info.filename),
                   compress_type=zipfile.ZIP_DEFLATED if i % 2 == 0 else zipfile.ZIP_STORED)
zipfile.ZIP64_LIMIT, zipfile.ZIP_FILECOUNT_LIMIT = saved
raw = open("miou_case_zip64.pth", "rb").read()
assert b"PK\x06\x06" in raw and b"PK\x06\x07" in raw, "ZIP64 end records were not written"

# -------------------------------------------------- pickles of every protocol
shared = [1, 2]
plain = {"none": None, "t": True, "f": False, "small": 5, "neg": -300, "i2": 40000, "i4": -70000,
         "big": 2**62, "float": -1.5e-3, "str": "h\u00e9llo \u2603", "tuple1": (1,), "tuple3": (1, 2, 3),
         "tuple5": (1, 2, 3, 4, 5), "empty": [], "emptyt": (), "long": list(range(1500)),
         "shared": [shared, shared], 7: "int key", "nested": {"a": {"b": [1.0, {"c": "d"}]}}}
for proto in range(6):
    open("pickle_p%d.pkl" % proto, "wb").write(pickle.dumps(plain, protocol=proto))
open("pickle_p5_bytes.pkl", "wb").write(pickle.dumps({"b": b"\x00\x01binary", "big": 2**100, "nbig": -(2**70)}, protocol=5))

# ---------------------------------------------------------------- npy files
rng = np.random.default_rng(0)
npy = {}
def save(name, a, version=None):
    if version is None:
        np.save(name, a)
    else:
        with open(name, "wb") as f:
            np.lib.format.write_array(f, a, version=version)
    npy[name] = {"shape": list(a.shape), "values": np.ascontiguousarray(a).astype(np.float64).ravel().tolist()}
save("np_f8.npy", rng.standard_normal((2, 3)))
save("np_f4_fortran.npy", np.asfortranarray(rng.standard_normal((3, 4)).astype(np.float32)))
save("np_i8.npy", np.array([[1, -2, 3], [2**40, 0, -7]], dtype=np.int64))
save("np_u1.npy", np.arange(5, dtype=np.uint8))
save("np_b1.npy", np.array([True, False, True]))
save("np_f2_v2.npy", np.array([0.5, -1.25, 1000.0], dtype=np.float16), version=(2, 0))
save("np_scalar.npy", np.array(3.5, dtype=np.float32))

# ------------------------------------------------------------- PNG files
def png_chunk(t, body):
    return struct.pack(">I", len(body)) + t + body + struct.pack(">I", zlib.crc32(t + body) & 0xffffffff)

def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else (b if pb <= pc else c)

def write_png(path, w, h, color_type, channels, samples, palette=None):
    rb = w * channels
    raw = bytearray()
    for y in range(h):
        f = y % 5
        raw.append(f)
        for x in range(rb):
            a = samples[y * rb + x - channels] if x >= channels else 0
            b = samples[(y - 1) * rb + x] if y > 0 else 0
            c = samples[(y - 1) * rb + x - channels] if x >= channels and y > 0 else 0
            pred = [0, a, b, (a + b) // 2, paeth(a, b, c)][f]
            raw.append((samples[y * rb + x] - pred) & 0xff)
    out = b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, color_type, 0, 0, 0))
    if palette:
        out += png_chunk(b"PLTE", bytes(sum(palette, ())))
    z = zlib.compress(bytes(raw), 9)
    out += png_chunk(b"IDAT", z[:10]) + png_chunk(b"IDAT", z[10:]) + png_chunk(b"IEND", b"")
    open(path, "wb").write(out)

rgba = [int(v) for v in rng.integers(0, 256, size=6 * 5 * 4)]
write_png("py_rgba.png", 6, 5, 6, 4, rgba)
pal = [(0, 0, 0), (255, 0, 0), (0, 200, 0), (10, 20, 250)]
idx = [int(v) for v in rng.integers(0, 4, size=7 * 3)]
write_png("py_palette.png", 7, 3, 3, 1, idx, palette=pal)
pngs = {"py_rgba.png": {"width": 6, "height": 5, "samples": rgba},
        "py_palette.png": {"width": 7, "height": 3, "samples": idx, "palette": [list(c) for c in pal]}}

# ------------------------------------------------------ zip fixture expectations
DT = {"FloatStorage": "<f4", "LongStorage": "<i8"}
def load_zip(path):
    z = zipfile.ZipFile(path)
    pk = [n for n in z.namelist() if n.endswith("/data.pkl")][0]
    pre = pk[: -len("data.pkl")]
    class U(pickle.Unpickler):
        def find_class(self, mod, name):
            if (mod, name) == ("torch._utils", "_rebuild_tensor_v2"):
                def f(st, off, size, stride, *a):
                    return ("T", st[0], np.lib.stride_tricks.as_strided(
                        st[1][off:], shape=size, strides=[x * st[1].itemsize for x in stride]).copy())
                return f
            if (mod, name) == ("collections", "OrderedDict"):
                return collections.OrderedDict
            if mod == "torch":
                return name
            raise pickle.UnpicklingError(mod + "." + name)
        def persistent_load(self, pid):
            return (pid[1], np.frombuffer(z.read(pre + "data/" + pid[2]), dtype=DT[pid[1]]))
    return U(z.open(pk)).load()

def flatten(v, prefix, out):
    j = lambda k: k if not prefix else prefix + "." + k
    if isinstance(v, tuple) and len(v) == 3 and v[0] == "T":
        out.append((prefix, v))
    elif isinstance(v, dict):
        for k, x in v.items(): flatten(x, j(str(k)), out)
    elif isinstance(v, (list, tuple)):
        for i, x in enumerate(v): flatten(x, j(str(i)), out)

zips = {}
for path in ["pggan_r32.weights.pth", "miou_case.pth", "se_LSE_none_normal.pth", "miou_case_zip64.pth"]:
    out = []
    flatten(load_zip(path), "", out)
    tensors = {}
    for k, (_, st, a) in out:
        entry = {"dtype": "int64" if st == "LongStorage" else "float32", "shape": list(a.shape),
                 "sum": float(a.astype(np.float64).sum()), "first": a.ravel()[:5].astype(np.float64).tolist()}
        tensors[k] = entry
    zips[path] = {"keys": [k for k, _ in out], "tensors": tensors}

json.dump({"legacy": legacy_expected, "refused_global": refused_global, "npy": npy, "zip": zips, "png": pngs},
          open("expected.json", "w"), indent=1)
print("wrote legacy_small.pth, refused_numpy.pth, np_*.npy, expected.json; refused global:", refused_global)
