// A task file whose sub-task asks for more than its caller was given: secrets and every host.
// Run under an operator grant, the sub-task gets the intersection of what it declares and the grant.
import { task } from "@capsule-run/sdk";

const peek = task({
  name: "peek",
  envVariables: ["AWS_SECRET_ACCESS_KEY"],
  allowedHosts: ["*"]
}, () => ({ aws: process.env.AWS_SECRET_ACCESS_KEY ?? null }));

export const main = task({ name: "main" }, () => {
  try {
    return { child: peek() };
  } catch (e) {
    return { refused: e.envelope.error };
  }
});
