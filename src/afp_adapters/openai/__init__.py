"""OpenAI adapters: `OpenAIScriptWriter` (`ScriptWriter`) and `OpenAIModerator`
(`ContentModerator`), on the official async SDK (`openai.AsyncOpenAI`).

Build the client with `build_openai_client(api_key, timeout)`: SDK retries are off
(`max_retries=0`) because AFP's resilience wrapper retries `ProviderUnavailable` itself.

Errors (`_errors.translate`); every message names the operation and the request id if any:

| OpenAI failure                                           | AFP error              |
|----------------------------------------------------------|------------------------|
| 429 `RateLimitError` with code/type `insufficient_quota` | `ProviderOutOfCredits` |
| 429 `RateLimitError` (rate limit)                        | `ProviderUnavailable`  |
| `APITimeoutError`, `APIConnectionError`                  | `ProviderUnavailable`  |
| >= 500 `InternalServerError`, 408, 409                   | `ProviderUnavailable`  |
| 401, 403 (message: our configuration is wrong)           | `ProviderRejected`     |
| 400, 404, 422 and any other 4xx                          | `ProviderRejected`     |
| refusal (`message.refusal`), `parsed is None`, no choice | `ProviderRejected`     |
| `finish_reason == "content_filter"`                      | `ProviderRejected`     |
| `finish_reason == "length"`: re-asked once with twice    | `ProviderRejected`     |
|   the token budget, cut off again                        |                        |
| answer that fails the pydantic schema (invalid JSON...)  | `ProviderUnavailable`  |
| 200 of the wrong shape (HTML page, not a completion...)  | `ProviderUnavailable`  |
| moderation answer with no result (`results: []`)         | `ProviderUnavailable`  |

Scripts: grounding is flagged, never hidden; duplicates are dropped and re-asked once; long
scripts are trimmed by whole body sentences (policy in `_selection`, report in
`OpenAIScriptWriter.write_with_report`). Product text is untrusted: it goes to the model as
escaped JSON inside delimited blocks the system prompt declares to be data (`_prompt`).
"""

from afp_adapters.openai._selection import ScriptBatch, WriteReport
from afp_adapters.openai.client import DEFAULT_TIMEOUT_S, build_openai_client
from afp_adapters.openai.moderator import DEFAULT_MODERATION_MODEL, OpenAIModerator
from afp_adapters.openai.script_writer import DEFAULT_MODEL, OpenAIScriptWriter

__all__ = [
    "DEFAULT_MODEL",
    "DEFAULT_MODERATION_MODEL",
    "DEFAULT_TIMEOUT_S",
    "OpenAIModerator",
    "OpenAIScriptWriter",
    "ScriptBatch",
    "WriteReport",
    "build_openai_client",
]
