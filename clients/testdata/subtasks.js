// Two sub-tasks at LOW, started at once: on the fleet each becomes a child task request.
import { task } from "@capsule-run/sdk";

const double = task({ name: "double", compute: "LOW" }, (n) => n * 2);

export const main = task({ name: "main", compute: "LOW" }, async (a, b) => {
  const results = await Promise.all([double.spawn(a), double.spawn(b)]);
  return { doubled: results };
});
