/**
 * An agent loop on a Capsule fleet: a (canned) model asks for tool calls, each becomes a task file
 * run in a sandbox with limits, and the envelope goes back to the model as the tool's result.
 *
 *     ./capsule up                                   # prints: ready bootstrap=127.0.0.1:PORT ...
 *     npm --prefix clients/typescript ci && CAPSULE_BOOTSTRAP_SERVERS=127.0.0.1:PORT npm --prefix clients/typescript run agent
 *
 * No model is needed: CannedModel replays the tool calls a model would make, including code that
 * runs out of fuel and a flaky tool the fleet retries, and reacts to what the envelopes say.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { closeAll, run, type TaskOptions } from "capsule-client";

interface ToolCall {
  id: string;
  code: string;
  args: unknown[];
  limits: TaskOptions;
}

interface ToolResult {
  success: boolean;
  result: unknown;
  errorType: string | null;
  error: string | null;
  retries: number;
  fuelConsumed: number;
  taskId?: string;
}

type Message = { role: "user"; content: string } | { role: "tool"; toolCallId: string; content: ToolResult };

const taskFile = (call: ToolCall): string => `import { task } from "@capsule-run/sdk";

// written by the agent for tool call ${call.id}
export const main = task({ name: "main" }, (...args) => {
${call.code}
});
`;

/** Stands in for an LLM: returns the next tool call (or null for the answer) given the transcript. */
class CannedModel {
  private readonly script: ToolCall[] = [
    { id: "call_1", code: "  return args.map((n) => n * n).reduce((a, b) => a + b, 0);", args: [1, 2, 3, 4], limits: { compute: "LOW", timeout: "10s" } },
    // a runaway loop under a small custom fuel budget (3M units): the budget stops it, whatever the code does
    { id: "call_2", code: "  let n = 0;\n  for (;;) { n++; }", args: [], limits: { compute: 3_000_000, timeout: "30s" } },
    // a flaky tool: the fleet retries it twice before reporting the failure
    { id: "call_3", code: "  throw new Error('upstream API unavailable');", args: [], limits: { compute: "LOW", maxRetries: 2 } },
  ];

  next(transcript: Message[]): ToolCall | null {
    const last = transcript[transcript.length - 1];
    if (last.role === "tool" && last.content.errorType === "fuel_exhausted") {
      // the model reads the error and asks for a bounded version of the same work
      return { id: "call_2b", code: "  let n = 0;\n  for (let i = 0; i < 1000; i++) { n += i; }\n  return n;", args: [], limits: { compute: "LOW", timeout: "10s" } };
    }
    return this.script.shift() ?? null;
  }
}

/** Writes the tool call's task file and runs it on the fleet with the call's limits. */
async function callTool(call: ToolCall, workdir: string): Promise<ToolResult> {
  const file = join(workdir, `tool_${call.id}.js`);
  writeFileSync(file, taskFile(call));
  const envelope = await run({ file, args: call.args, waitMs: 120_000, ...call.limits });
  return {
    success: envelope.success,
    result: envelope.result,
    errorType: envelope.error?.error_type ?? null,
    error: envelope.error?.message ?? null,
    retries: envelope.execution.retries,
    fuelConsumed: envelope.execution.fuel_consumed,
    taskId: envelope.task_id,
  };
}

async function main(): Promise<void> {
  const model = new CannedModel();
  const transcript: Message[] = [{ role: "user", content: "Sum the squares of 1..4, then try the other tools." }];
  const workdir = mkdtempSync(join(tmpdir(), "capsule-agent-"));
  try {
    for (let call = model.next(transcript); call !== null; call = model.next(transcript)) {
      console.log(`model  -> ${call.id}: run_js with ${JSON.stringify(call.limits)}`);
      const outcome = await callTool(call, workdir);
      transcript.push({ role: "tool", toolCallId: call.id, content: outcome });
      const status = outcome.success ? "ok" : outcome.errorType;
      console.log(`fleet  -> ${call.id}: ${status} result=${JSON.stringify(outcome.result)} retries=${outcome.retries} fuel=${outcome.fuelConsumed}`);
    }
  } finally {
    rmSync(workdir, { recursive: true, force: true });
    await closeAll();
  }
  const tools = transcript.filter((m): m is Extract<Message, { role: "tool" }> => m.role === "tool");
  const answers = tools.filter((m) => m.content.success).map((m) => m.content.result);
  console.log(`answer -> sum of squares ${answers[0]}; bounded loop ${answers[1]}; ${tools.filter((m) => !m.content.success).length} tool calls failed`);
}

await main();
