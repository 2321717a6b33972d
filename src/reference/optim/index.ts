export * from "./sgd";
export * from "./adam";
