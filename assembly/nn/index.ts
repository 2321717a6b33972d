export * from "./softmax_cross_entropy";
export * from "./relu";
export * from "./column_sums";
