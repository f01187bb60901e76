import { ago, fullDate, now } from "../lib/time";

export function TimeAgo(props: { iso: string | null | undefined; prefix?: string }) {
  return (
    <time datetime={props.iso ?? undefined} title={props.iso ? fullDate(props.iso) : undefined}>
      {props.prefix ?? ""}
      {ago(props.iso, now())}
    </time>
  );
}
