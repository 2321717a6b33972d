/**
 * The typed errors of descend. Every public entry point validates before it touches
 * memory, so when one of these is thrown, no tensor, parameter or optimizer state has
 * changed.
 *
 * | error              | thrown when                                                                 |
 * |--------------------|-----------------------------------------------------------------------------|
 * | `ValueError`       | a hyperparameter or argument is out of range, NaN or of the wrong type (not |
 * |                    | a tensor, runtime, function or options object); a tensor of another runtime;|
 * |                    | an output overlapping an operand it may not alias                           |
 * | `ShapeError`       | lengths, shapes or dtypes of tensors do not fit together                    |
 * | `DisposedError`    | a disposed tensor, param or module is used, or a tensor disposed twice      |
 * | `OutOfMemoryError` | the linear memory cannot grow to satisfy an allocation                      |
 * | `StateError`       | a saved state is malformed, of the wrong version or shape; a call out of    |
 * |                    | order (backward() before forward(), swapOut() without swapIn(), ...)        |
 * | `NonFiniteError`   | a gradient or value is NaN/Inf where the policy is 'error'                  |
 * | `BackendError`     | the engine cannot run the requested backend                                 |
 *
 * The README's table gives examples; test/reliability/error-contract.test.ts has the full list,
 * entry point by entry point.
 */
export class DescendError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

export class ValueError extends DescendError {}
export class ShapeError extends DescendError {}
export class DisposedError extends DescendError {}
export class OutOfMemoryError extends DescendError {}
export class StateError extends DescendError {}
export class NonFiniteError extends DescendError {}
export class BackendError extends DescendError {}
