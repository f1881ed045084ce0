// Asks the cloud metadata address for credentials. `*` never reaches loopback, private,
// link-local or metadata addresses: only an operator naming the host literally opens it.
import { task } from "@capsule-run/sdk";

export const main = task({ name: "main", allowedHosts: ["*", "169.254.169.254"] }, async () => {
  const response = await fetch("http://169.254.169.254/latest/meta-data/iam/security-credentials/");
  return await response.text();
});
