// Reference twins of assembly/minimize/, same names and signatures after a leading Heap.
export { f64_dot, f64_axpby, f64_scaled_add, f64_norm_inf, f64_nrm2, f64_gemv } from "./blas";
export { f64_linesearch_step } from "./linesearch";
export { f64_lbfgs_direction } from "./lbfgs";
export { f64_bfgs_update, f64_scaled_identity } from "./bfgs";
export { f64_cholesky_damped, f64_cholesky_solve } from "./cholesky";
export {
  f64_quadratic_fg,
  f64_diag_quadratic_fg,
  f64_least_squares_fg,
  f64_logistic_fg,
  f64_rosenbrock_fg,
  f64_diag_dot,
  f64_quadratic_coordinate_sweep,
  f64_weighted_gram,
  f64_logistic_weights,
} from "./objectives";
export { f64_box_project, f64_projected_gradient_inf, f64_box_max_step } from "./box";
export { f64_lbfgsb_middle, f64_gauss_solve, f64_lbfgsb_cauchy, f64_lbfgsb_subspace } from "./lbfgsb";
