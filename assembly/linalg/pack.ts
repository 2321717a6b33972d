// Packing for the GEMM driver: copies a block of op(A) or op(B) into the panel order the
// microkernels stream through, zero-padding the last panel so the k loop never branches.
//   packA: rows i0..i0+mc of op(A), columns p0..p0+kc, as ceil(mc/MR) panels, each kc
//          groups of MR values: dst[panel][p][r] = op(A)[i0 + panel*MR + r][p0 + p].
//   packB: rows p0..p0+kc of op(B), columns j0..j0+nc, as ceil(nc/NR) panels, each kc
//          groups of NR values: dst[panel][p][j] = op(B)[p0 + p][j0 + panel*NR + j].
// op(X) is X (row-major, leading dimension ld elements) or its transpose when trans != 0.
// T is f32 or f64; every pointer is a byte address, every count and stride in elements.

/** Packs an mc x kc block of op(A) into MR-row panels. */
// @ts-ignore: decorator
@inline
export function packA<T>(trans: i32, a: usize, lda: i32, i0: i32, mc: i32, p0: i32, kc: i32, dst: usize, MR: i32): void {
  const sz = <usize>sizeof<T>();
  for (let ir = 0; ir < mc; ir += MR) {
    const rows = min(MR, mc - ir);
    const panel = dst + <usize>ir * <usize>kc * sz;
    if (trans) {
      // op(A)[i][p] = A[p][i]: each group is a contiguous run of A's row p.
      let src = a + (<usize>p0 * <usize>lda + <usize>(i0 + ir)) * sz;
      for (let p = 0; p < kc; p++) {
        const group = panel + <usize>(p * MR) * sz;
        for (let r = 0; r < rows; r++) store<T>(group + <usize>r * sz, load<T>(src + <usize>r * sz));
        for (let r = rows; r < MR; r++) store<T>(group + <usize>r * sz, <T>0);
        src += <usize>lda * sz;
      }
    } else {
      // op(A)[i][p] = A[i][p]: walk each row contiguously, writing every MR-th slot.
      for (let r = 0; r < rows; r++) {
        const src = a + (<usize>(i0 + ir + r) * <usize>lda + <usize>p0) * sz;
        let out = panel + <usize>r * sz;
        for (let p = 0; p < kc; p++) {
          store<T>(out, load<T>(src + <usize>p * sz));
          out += <usize>MR * sz;
        }
      }
      for (let r = rows; r < MR; r++) {
        let out = panel + <usize>r * sz;
        for (let p = 0; p < kc; p++) {
          store<T>(out, <T>0);
          out += <usize>MR * sz;
        }
      }
    }
  }
}

/** Packs a kc x nc block of op(B) into NR-column panels. */
// @ts-ignore: decorator
@inline
export function packB<T>(trans: i32, b: usize, ldb: i32, p0: i32, kc: i32, j0: i32, nc: i32, dst: usize, NR: i32): void {
  const sz = <usize>sizeof<T>();
  const groupBytes = <usize>NR * sz;
  for (let jr = 0; jr < nc; jr += NR) {
    const cols = min(NR, nc - jr);
    const panel = dst + <usize>jr * <usize>kc * sz;
    if (!trans && cols == NR) {
      // op(B)[p][j] = B[p][j]: each group is NR contiguous values of B's row p.
      let src = b + (<usize>p0 * <usize>ldb + <usize>(j0 + jr)) * sz;
      let out = panel;
      for (let p = 0; p < kc; p++) {
        for (let q: usize = 0; q < groupBytes; q += 16) v128.store(out + q, v128.load(src + q));
        src += <usize>ldb * sz;
        out += groupBytes;
      }
    } else if (!trans) {
      let src = b + (<usize>p0 * <usize>ldb + <usize>(j0 + jr)) * sz;
      let out = panel;
      for (let p = 0; p < kc; p++) {
        for (let j = 0; j < cols; j++) store<T>(out + <usize>j * sz, load<T>(src + <usize>j * sz));
        for (let j = cols; j < NR; j++) store<T>(out + <usize>j * sz, <T>0);
        src += <usize>ldb * sz;
        out += groupBytes;
      }
    } else {
      // op(B)[p][j] = B[j][p]: walk each row of B contiguously, writing every NR-th slot.
      for (let j = 0; j < NR; j++) {
        let out = panel + <usize>j * sz;
        if (j < cols) {
          const src = b + (<usize>(j0 + jr + j) * <usize>ldb + <usize>p0) * sz;
          for (let p = 0; p < kc; p++) {
            store<T>(out, load<T>(src + <usize>p * sz));
            out += groupBytes;
          }
        } else {
          for (let p = 0; p < kc; p++) {
            store<T>(out, <T>0);
            out += groupBytes;
          }
        }
      }
    }
  }
}
