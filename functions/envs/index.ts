// Placeholder entry: replaced by the function's implementation.
export const main_handler = async (): Promise<never> => {
  throw new Error("not implemented yet");
};
