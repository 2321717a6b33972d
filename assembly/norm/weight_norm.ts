// Weight normalization (Salimans & Kingma 2016), per output unit j of a [rows, cols] weight
// (column j holds the weights into unit j, as Linear's [in, out] layout):
//   n_j = ||v_:j||,   w_ij = (g_j / n_j) v_ij
// Backward, with w_hat = v / n and dw the gradient of the loss with respect to w:
//   c_j = w_hat_:j . dw_:j = (v_:j . dw_:j) / n_j           (= dL/dg_j)
//   dg_j += c_j
//   dv_ij += (g_j / n_j) (dw_ij - (v_ij / n_j) c_j)          (= g/||v|| (dw - w_hat (w_hat . dw)))
// Sums and coefficients are f64 (norms and dots are f64 arrays of cols), every element is
// computed in f64 from its T inputs and rounded to T once. Rows are walked in order (the
// memory streams), two columns per f64x2, a scalar column last doing the same operations.
// A column of v that is all zeros has no direction: n_j = 0 and w_:j is NaN, as in PyTorch.
// Memory contract: v, w, dw, dv hold rows * cols elements of T, g and dg cols of T, norms and
// dots cols of f64; all disjoint; any alignment.

/** Two elements of T at p as an f64x2. */
// @ts-ignore: decorator
@inline
function load2<T>(p: usize): v128 {
  if (sizeof<T>() == 4) return f64x2.promote_low_f32x4(v128.load64_zero(p));
  return v128.load(p);
}

/** An f64x2 rounded to T and stored as two elements at p. */
// @ts-ignore: decorator
@inline
function store2<T>(p: usize, x: v128): void {
  if (sizeof<T>() == 4) v128.store64_lane(p, f32x4.demote_f64x2_zero(x), 0);
  else v128.store(p, x);
}

/** acc_j = sum_i a_ij b_ij over the rows, into the f64 array acc (overwritten). */
// @ts-ignore: decorator
@inline
function columnDots<T>(a: usize, b: usize, acc: usize, rows: i32, cols: i32): void {
  memory.fill(acc, 0, <usize>cols * 8);
  const pairs = cols & ~1;
  for (let i = 0; i < rows; i++) {
    const rowA = a + <usize>i * <usize>cols * sizeof<T>();
    const rowB = b + <usize>i * <usize>cols * sizeof<T>();
    let j = 0;
    for (; j < pairs; j += 2) {
      const o = <usize>j * sizeof<T>();
      const s = acc + <usize>j * 8;
      v128.store(s, f64x2.add(v128.load(s), f64x2.mul(load2<T>(rowA + o), load2<T>(rowB + o))));
    }
    if (j < cols) {
      const o = <usize>j * sizeof<T>();
      const s = acc + <usize>j * 8;
      store<f64>(s, load<f64>(s) + <f64>load<T>(rowA + o) * <f64>load<T>(rowB + o));
    }
  }
}

function weightNormForward<T>(v: usize, g: usize, w: usize, norms: usize, rows: i32, cols: i32): void {
  columnDots<T>(v, v, norms, rows, cols);
  for (let j = 0; j < cols; j++) store<f64>(norms + <usize>j * 8, Math.sqrt(load<f64>(norms + <usize>j * 8)));
  const pairs = cols & ~1;
  for (let i = 0; i < rows; i++) {
    const row = <usize>i * <usize>cols * sizeof<T>();
    let j = 0;
    for (; j < pairs; j += 2) {
      const o = <usize>j * sizeof<T>();
      const scale = f64x2.div(load2<T>(g + o), v128.load(norms + <usize>j * 8));
      store2<T>(w + row + o, f64x2.mul(load2<T>(v + row + o), scale));
    }
    if (j < cols) {
      const o = <usize>j * sizeof<T>();
      const scale = <f64>load<T>(g + o) / load<f64>(norms + <usize>j * 8);
      store<T>(w + row + o, <T>(<f64>load<T>(v + row + o) * scale));
    }
  }
}

function weightNormBackward<T>(
  v: usize, g: usize, norms: usize, dw: usize, dots: usize, dv: usize, dg: usize, rows: i32, cols: i32,
): void {
  columnDots<T>(v, dw, dots, rows, cols);
  for (let j = 0; j < cols; j++) {
    const c = load<f64>(dots + <usize>j * 8) / load<f64>(norms + <usize>j * 8);
    store<f64>(dots + <usize>j * 8, c);
    store<T>(dg + <usize>j * sizeof<T>(), <T>(<f64>load<T>(dg + <usize>j * sizeof<T>()) + c));
  }
  const pairs = cols & ~1;
  for (let i = 0; i < rows; i++) {
    const row = <usize>i * <usize>cols * sizeof<T>();
    let j = 0;
    for (; j < pairs; j += 2) {
      const o = <usize>j * sizeof<T>();
      const n = v128.load(norms + <usize>j * 8);
      const scale = f64x2.div(load2<T>(g + o), n);
      const along = f64x2.mul(f64x2.div(load2<T>(v + row + o), n), v128.load(dots + <usize>j * 8));
      const step = f64x2.mul(scale, f64x2.sub(load2<T>(dw + row + o), along));
      store2<T>(dv + row + o, f64x2.add(load2<T>(dv + row + o), step));
    }
    if (j < cols) {
      const o = <usize>j * sizeof<T>();
      const n = load<f64>(norms + <usize>j * 8);
      const scale = <f64>load<T>(g + o) / n;
      const along = (<f64>load<T>(v + row + o) / n) * load<f64>(dots + <usize>j * 8);
      const step = scale * (<f64>load<T>(dw + row + o) - along);
      store<T>(dv + row + o, <T>(<f64>load<T>(dv + row + o) + step));
    }
  }
}

export function f32_weight_norm_forward(v: usize, g: usize, w: usize, norms: usize, rows: i32, cols: i32): void {
  weightNormForward<f32>(v, g, w, norms, rows, cols);
}

export function f64_weight_norm_forward(v: usize, g: usize, w: usize, norms: usize, rows: i32, cols: i32): void {
  weightNormForward<f64>(v, g, w, norms, rows, cols);
}

export function f32_weight_norm_backward(
  v: usize, g: usize, norms: usize, dw: usize, dots: usize, dv: usize, dg: usize, rows: i32, cols: i32,
): void {
  weightNormBackward<f32>(v, g, norms, dw, dots, dv, dg, rows, cols);
}

export function f64_weight_norm_backward(
  v: usize, g: usize, norms: usize, dw: usize, dots: usize, dv: usize, dg: usize, rows: i32, cols: i32,
): void {
  weightNormBackward<f64>(v, g, norms, dw, dots, dv, dg, rows, cols);
}
