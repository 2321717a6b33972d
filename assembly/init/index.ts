// Initializer kernels that are more than a random fill; twins in src/reference/init/.
export * from "./orthogonal";
export * from "./sparse";
