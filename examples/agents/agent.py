"""An agent loop on a Capsule fleet: a (canned) model asks for tool calls, each becomes a task file
run in a sandbox with limits, and the envelope goes back to the model as the tool's result.

    ./capsule up                                   # prints: ready bootstrap=127.0.0.1:PORT ...
    PYTHONPATH=clients/python CAPSULE_BOOTSTRAP_SERVERS=127.0.0.1:PORT python3 examples/agents/agent.py

No model is needed: CannedModel replays the tool calls a model would make, including code that
runs out of fuel and a flaky tool the fleet retries, and reacts to what the envelopes say.
"""

import asyncio
import json
import os
import tempfile

from capsule_client import run

TASK_FILE = """import {{ task }} from "@capsule-run/sdk";

// written by the agent for tool call {call_id}
export const main = task({{ name: "main" }}, (...args) => {{
{code}
}});
"""


class CannedModel:
    """Stands in for an LLM: returns the next tool call (or the final answer) given the transcript."""

    def __init__(self):
        self.script = [
            {"id": "call_1", "code": "  return args.map((n) => n * n).reduce((a, b) => a + b, 0);",
             "args": [1, 2, 3, 4], "limits": {"compute": "LOW", "timeout": "10s"}},
            # a runaway loop under a small custom fuel budget (3M units): the budget stops it, whatever the code does
            {"id": "call_2", "code": "  let n = 0;\n  for (;;) { n++; }", "args": [],
             "limits": {"compute": 3_000_000, "timeout": "30s"}},
            # a flaky tool: the fleet retries it twice before reporting the failure
            {"id": "call_3", "code": "  throw new Error('upstream API unavailable');", "args": [],
             "limits": {"compute": "LOW", "max_retries": 2}},
        ]

    def next(self, transcript):
        last = transcript[-1]
        if last["role"] == "tool" and last["content"]["error_type"] == "fuel_exhausted":
            # the model reads the error and asks for a bounded version of the same work
            return {"id": "call_2b", "code": "  let n = 0;\n  for (let i = 0; i < 1000; i++) { n += i; }\n  return n;",
                    "args": [], "limits": {"compute": "LOW", "timeout": "10s"}}
        if self.script:
            return self.script.pop(0)
        return None  # done: answer from the transcript


async def call_tool(call, workdir):
    """Writes the tool call's task file and runs it on the fleet with the call's limits."""
    path = os.path.join(workdir, f"tool_{call['id']}.js")
    with open(path, "w", encoding="utf-8") as f:
        f.write(TASK_FILE.format(call_id=call["id"], code=call["code"]))
    envelope = await run(file=path, args=call["args"], wait=120, **call["limits"])
    return {
        "success": envelope.success,
        "result": envelope.result,
        "error_type": envelope.error_type,
        "error": envelope.error_message,
        "retries": envelope.execution.get("retries"),
        "fuel_consumed": envelope.execution.get("fuel_consumed"),
        "task_id": envelope.task_id,
    }


async def main():
    model = CannedModel()
    transcript = [{"role": "user", "content": "Sum the squares of 1..4, then try the other tools."}]
    with tempfile.TemporaryDirectory(prefix="capsule-agent-") as workdir:
        while (call := model.next(transcript)) is not None:
            print(f"model  -> {call['id']}: run_js with {call['limits']}")
            outcome = await call_tool(call, workdir)
            transcript.append({"role": "tool", "tool_call_id": call["id"], "content": outcome})
            status = "ok" if outcome["success"] else outcome["error_type"]
            print(f"fleet  -> {call['id']}: {status} result={json.dumps(outcome['result'])} "
                  f"retries={outcome['retries']} fuel={outcome['fuel_consumed']}")
    answers = [m["content"]["result"] for m in transcript if m["role"] == "tool" and m["content"]["success"]]
    print(f"answer -> sum of squares {answers[0]}; bounded loop {answers[1]}; "
          f"{sum(1 for m in transcript if m['role'] == 'tool' and not m['content']['success'])} tool calls failed")


if __name__ == "__main__":
    asyncio.run(main())
