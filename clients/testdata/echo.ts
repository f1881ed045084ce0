// Echoes its arguments with their JSON types: checks that args travel as JSON values.
import { task } from "@capsule-run/sdk";

export const main = task({ name: "main", compute: "LOW" }, (...args: unknown[]): object => {
  return { args, types: args.map((a) => typeof a) };
});
