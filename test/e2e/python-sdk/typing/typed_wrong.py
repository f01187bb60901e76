"""mypy --strict must refuse this: an approval's answer has no selected_ids, a text answer no option_id."""
from nod_client import Approval, NodClient, TextInput


def run(nod: NodClient) -> None:
    print(nod.ask("Go?", Approval(["go"])).selected_ids)
    print(nod.ask("Say", TextInput()).option_id)
