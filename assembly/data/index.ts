// Data kernels (gathering minibatch rows, index ranges); each needs its twin in src/reference/data/.
export * from "./gather";
