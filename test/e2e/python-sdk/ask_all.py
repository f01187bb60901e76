"""ask() once per review type; prints each typed answer as a JSON line. The test answers as the person."""
import json
import os

from nod_client import Approval, Form, FormField, Freeform, Item, NodClient, Option, RawReview, Selection, TextInput

nod = NodClient(os.environ["NOD_URL"], os.environ["NOD_API_KEY"], os.environ["NOD_CHANNEL"])


def show(kind, answer, **fields):
    print(json.dumps({"kind": kind, "class": type(answer).__name__, "feedback": answer.feedback, "messageId": answer.message_id, **fields}), flush=True)


a = nod.ask(
    "Deploy v2.1 to production?",
    Approval([Option("approve", "Approve", "primary"), Option("reject", "Reject", "danger")], allow_comment=True),
)
show("approval", a, option_id=a.option_id, comment=a.comment)

s = nod.ask("Which regions?", Selection([Item("eu", "Europe"), Item("us", "United States", "us-east-1"), "ap"], mode="multi"))
show("selection", s, selected_ids=s.selected_ids)

t = nod.ask("Write the release notes", TextInput(placeholder="What changed?", min_length=3, markdown=True))
show("text-input", t, text=t.text)

f = nod.ask(
    "Configure the deployment",
    Form(
        [
            FormField("env", "select", "Environment", required=True, options=["staging", "production"]),
            FormField("instances", "number", "Instances", min=1, max=10),
            FormField("notify", "checkbox", "Notify the team"),
        ],
        submit_label="Deploy",
    ),
)
show("form", f, values=f.values, env=f["env"], dismissed=f.dismissed)

j = nod.ask("Anything else?", Freeform({"hint": "any JSON"}), expires_in_seconds=600)
show("freeform", j, data=j.data)

r = nod.ask("In the API's own words", RawReview("approval", {"options": [{"id": "go", "label": "Go"}]}))
show("raw", r, response=r.response)
