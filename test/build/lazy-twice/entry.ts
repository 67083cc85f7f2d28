import { createLogger } from "../../../shared/log";

export const answer = () => createLogger() !== undefined;
