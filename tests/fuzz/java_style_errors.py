"""schemathesis hooks for the REST fuzz run (tests/tests/rest_fuzz.rs).

Java's Connect answers 500 on purpose for some inputs: bodies Jackson cannot bind or parse,
`null` bodies (NullPointerException texts), and a few herder exceptions. rconnect copies those
answers, so a 500 is accepted only when it is such an answer: `{"error_code":500,"message":...}`
with one of the messages Java gives. Any other 5xx (an internal error, a panic, a recursion
limit, a timeout) fails the run.
"""
import json
import re

import schemathesis

JAVA_500_MESSAGES = [
    # Jackson binding (JsonMappingException) and parsing (JsonParseException) messages.
    r"Cannot deserialize value of type ",
    r"Cannot construct instance of ",
    r"Unrecognized field ",
    r"Unexpected character ",
    r"Unexpected end-of-input",
    r"Unrecognized token ",
    r"Illegal unquoted character ",
    r"Invalid UTF-8 ",
    # Java 17's NullPointerException texts for `null` bodies and elements.
    r"Cannot invoke \"",
    # Herder exceptions Java maps to 500 (`ConnectExceptionMapper`).
    r"No connector `.*` configured$",
    r"Failed to start task ",
    # Java's StandaloneHerder#putTaskConfigs (UnsupportedOperationException), verified on 3.9.
    r"Kafka Connect in standalone mode does not support externally setting task configurations\.$",
    r"org\.apache\.kafka\.connect\.errors\.ConnectException: ",
]
PATTERN = re.compile("|".join(f"(?:{m})" for m in JAVA_500_MESSAGES), re.DOTALL)


@schemathesis.check
def java_style_server_errors(ctx, response, case):
    if response.status_code < 500:
        return None
    try:
        body = json.loads(response.content or b"null")
    except ValueError:
        raise AssertionError(f"{response.status_code} with a body that is not JSON: {response.content[:300]!r}")
    if not isinstance(body, dict) or body.get("error_code") != response.status_code:
        raise AssertionError(f"{response.status_code} without Java's error body: {body!r:.300}")
    message = body.get("message") or ""
    if response.status_code != 500 or not PATTERN.match(message):
        raise AssertionError(f"server error not answered by Java for such input: {response.status_code} {message!r:.300}")
    return None
