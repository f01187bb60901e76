#!/usr/bin/env bash
# Ask a person to approve a deploy with curl + jq, then long-poll until they answer.
# Usage: NOD_URL=http://localhost:8787 NOD_API_KEY=hp_… NOD_CHANNEL=<agent id> ./approval.sh
set -euo pipefail
: "${NOD_URL:?set NOD_URL, e.g. http://localhost:8787}"
: "${NOD_API_KEY:?set NOD_API_KEY (an hp_… API key)}"
: "${NOD_CHANNEL:?set NOD_CHANNEL (the agent id)}"

# 1. Send a message that asks for an approval (jq builds the JSON, so nothing needs escaping by hand).
BODY=$(jq -n --arg channel "$NOD_CHANNEL" '{
  channelId: $channel,
  text: "Deploy v2.1 to production?",
  review: {
    type: "approval",
    payload: {
      options: [
        {id: "approve", label: "Approve", style: "primary"},
        {id: "reject", label: "Reject", style: "danger"}
      ],
      allowComment: true
    },
    expiresInSeconds: 3600
  }
}')
MESSAGE=$(curl -sS --fail-with-body -X POST "$NOD_URL/api/v1/messages" \
  -H "x-api-key: $NOD_API_KEY" -H "Content-Type: application/json" -d "$BODY")
ID=$(jq -r .id <<<"$MESSAGE")
echo "Asked for approval: $ID"

# 2. Long-poll: each call waits up to 30 s; "timeout" means nobody answered yet, so ask again.
while true; do
  RESULT=$(curl -sS --fail-with-body "$NOD_URL/api/v1/reviews/$ID/wait?channel=$NOD_CHANNEL&timeout=30000" \
    -H "x-api-key: $NOD_API_KEY")
  case "$(jq -r .status <<<"$RESULT")" in
    completed)
      echo "Decision: $(jq -r .message.review.response.selectedOption <<<"$RESULT")"
      COMMENT=$(jq -r '.message.review.response.comment // empty' <<<"$RESULT")
      if [ -n "$COMMENT" ]; then echo "Comment: $COMMENT"; fi
      exit 0
      ;;
    expired)
      echo "The review expired without an answer" >&2
      exit 1
      ;;
  esac
done
