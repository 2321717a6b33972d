// Reference twins of assembly/optim/*: same export names and arguments after a leading Heap.
export * from "./sgd";
export * from "./adam";
export * from "./adamax";
export * from "./adagrad";
export * from "./adadelta";
export * from "./rmsprop";
export * from "./delta_bar_delta";
export * from "./clip";
export * from "./stream";
