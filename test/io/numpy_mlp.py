"""The PyTorch-layout checkpoint round trip, with numpy only (no torch, no safetensors package).

  numpy_mlp.py forward MODEL INPUT OUTPUT   reads descend's checkpoint of nn.Sequential(Linear, ReLU, Linear)
                                            and the input x, writes numpy's forward pass y = relu(x W0^T + b0) W2^T + b2
  numpy_mlp.py write MODEL DATA             writes such a model as PyTorch would save it ([out, in] weights),
                                            and an input x with numpy's output y
"""
import json
import struct
import sys

import numpy as np

DTYPES = {"F32": np.float32, "F64": np.float64, "I32": np.int32, "I64": np.int64}


def read(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    header.pop("__metadata__", None)
    data = raw[8 + n :]
    return {
        name: np.frombuffer(data[e["data_offsets"][0] : e["data_offsets"][1]], dtype=np.dtype(DTYPES[e["dtype"]]).newbyteorder("<")).reshape(e["shape"])
        for name, e in header.items()
    }


def write(path, tensors):
    header, chunks, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for name, array in tensors.items():
        array = np.ascontiguousarray(array, dtype=np.dtype(array.dtype).newbyteorder("<"))
        dtype = {np.float32: "F32", np.float64: "F64", np.int32: "I32", np.int64: "I64"}[array.dtype.type]
        header[name] = {"dtype": dtype, "shape": list(array.shape), "data_offsets": [offset, offset + array.nbytes]}
        chunks.append(array.tobytes())
        offset += array.nbytes
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(chunks))


def forward(model, x):
    # f64 arithmetic on the f32 values: the reference the f32 result is compared with.
    w0, b0, w2, b2 = (model[k].astype(np.float64) for k in ("0.weight", "0.bias", "2.weight", "2.bias"))
    hidden = np.maximum(x.astype(np.float64) @ w0.T + b0, 0)
    return (hidden @ w2.T + b2).astype(np.float32)


if __name__ == "__main__":
    mode, *paths = sys.argv[1:]
    if mode == "forward":
        model, x = read(paths[0]), read(paths[1])["x"]
        write(paths[2], {"y": forward(model, x)})
    elif mode == "write":
        rng = np.random.default_rng(7)
        model = {
            "0.weight": rng.uniform(-0.5, 0.5, (8, 4)).astype(np.float32),
            "0.bias": rng.uniform(-0.1, 0.1, 8).astype(np.float32),
            "2.weight": rng.uniform(-0.5, 0.5, (3, 8)).astype(np.float32),
            "2.bias": rng.uniform(-0.1, 0.1, 3).astype(np.float32),
        }
        x = rng.uniform(-1, 1, (5, 4)).astype(np.float32)
        write(paths[0], model)
        write(paths[1], {"x": x, "y": forward(model, x)})
    else:
        sys.exit(f"unknown mode {mode}")
