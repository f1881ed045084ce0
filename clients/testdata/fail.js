// Always fails: a task_error, retried up to the request's max_retries.
import { task } from "@capsule-run/sdk";

export const main = task({ name: "main", compute: "LOW" }, (why) => {
  throw new Error("tool failed: " + why);
});
