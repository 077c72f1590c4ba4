"""Derives the reduced NSE-2 fixtures from ../../../../shared/fixtures/se_NSE-2_na_*.pth
(11 MB each, too big for the repository).

Kept in full: init params, per-step loss, step-0 segs. Gradients and
params_after of each step are kept at flat indices 0, STRIDE, 2*STRIDE, ...
plus each tensor's max |value| (the tolerance scale). Features and label are
not stored: they equal those of se_LSE_softplus_normal.pth (checked here).
Usage: python3 make_nse2_reduced.py /work/shared/fixtures
"""
import json, pickle, struct, sys, zipfile
import numpy as np

STRIDE = 29


def load_pth(path):
    z = zipfile.ZipFile(path)
    prefix = z.namelist()[0].split('/')[0]

    class U(pickle.Unpickler):
        def find_class(self, mod, name):
            if name == '_rebuild_tensor_v2':
                def rebuild(storage, off, size, stride, *rest):
                    key, dt = storage
                    arr = np.frombuffer(z.read(f"{prefix}/data/{key}"), dtype=dt)
                    if len(size) == 0:
                        return arr[off:off + 1].reshape(())
                    st = [s * arr.itemsize for s in stride]
                    return np.lib.stride_tricks.as_strided(arr[off:], shape=size, strides=st).copy()
                return rebuild
            if name == 'OrderedDict':
                import collections
                return collections.OrderedDict
            if name.endswith('Storage'):
                return {'FloatStorage': np.float32, 'LongStorage': np.int64}[name]
            raise pickle.UnpicklingError(f"{mod}.{name}")

        def persistent_load(self, pid):
            return (pid[2], pid[1])

    return U(z.open(f"{prefix}/data.pkl")).load()


def write_safetensors(path, tensors, metadata):
    header = {"__metadata__": metadata}
    blobs, off = [], 0
    for k in sorted(tensors):
        a = np.ascontiguousarray(tensors[k], dtype=np.float32)
        b = a.tobytes()
        header[k] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header).encode()
    h += b' ' * ((8 - len(h) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def main(src):
    ref = load_pth(f"{src}/se_LSE_softplus_normal.pth")
    for loss in ["focal", "normal"]:
        name = f"se_NSE-2_na_{loss}"
        d = load_pth(f"{src}/{name}.pth")
        assert all(np.array_equal(a, b) for a, b in zip(d['features'], ref['features']))
        assert np.array_equal(d['label'], ref['label'])
        t = {}
        for k, v in d['init'].items():
            t[f"init.{k}"] = v
        for s, step in enumerate(d['steps']):
            t[f"steps.{s}.loss"] = np.asarray(step['loss']).reshape(1)
            if 'segs' in step:
                for i, seg in enumerate(step['segs']):
                    t[f"steps.{s}.segs.{i}"] = seg
            for part in ['grads', 'params_after']:
                for k, v in step[part].items():
                    flat = v.reshape(-1)
                    t[f"steps.{s}.{part}.{k}.sample"] = flat[::STRIDE]
                    t[f"steps.{s}.{part}.{k}.maxabs"] = np.abs(flat).max().reshape(1)
        meta = {"source": f"{name}.pth", "stride": str(STRIDE), "features_from": "se_LSE_softplus_normal.pth",
                "arch": json.dumps({k: v for k, v in d['arch'].items()}), "size": str(d['size']),
                "lr": repr(float(d['lr'])), "steps": str(len(d['steps']))}
        write_safetensors(f"{name}_reduced.safetensors", t, meta)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/work/shared/fixtures")
