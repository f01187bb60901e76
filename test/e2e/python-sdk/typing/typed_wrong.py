"""mypy --strict must refuse this: an approval's answer has no selected_ids, a text answer no option_id, and
ask() has no keyword expires_in."""
from nod_client import Approval, NodClient, TextInput


def run(nod: NodClient) -> None:
    print(nod.ask("Go?", Approval(["go"])).selected_ids)
    print(nod.ask("Say", TextInput()).option_id)
    print(nod.ask("Go?", Approval(["go"]), expires_in=60))
