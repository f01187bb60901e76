export default function NotFound() {
  return (
    <div class="page narrow">
      <h1>Not found</h1>
      <p>
        There is nothing at this address. <a href="/">Go to the inbox</a>.
      </p>
    </div>
  );
}
