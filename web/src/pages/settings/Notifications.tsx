export function Notifications() {
  return (
    <section class="card" aria-labelledby="notif-title">
      <h2 id="notif-title">Notifications</h2>
      <p>Push notifications for new reviews arrive with their own issue: this is where you will turn them on for this browser.</p>
      <label class="switch-row disabled">
        <input type="checkbox" role="switch" disabled />
        <span class="choice-label">Push notifications (coming soon)</span>
      </label>
    </section>
  );
}
