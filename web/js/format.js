// Formatting of durations, sizes, times and arbitrary values for display.

// "45 s", "3 m 07 s", "2 h 05 m", "4 d 03 h"; "—" for a missing value.
export function formatDuration(ms) {
  if (!Number.isFinite(ms) || ms < 0)
    return '—';
  const s = Math.floor(ms / 1000);
  if (s < 60)
    return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60)
    return `${m} m ${pad2(s % 60)} s`;
  const h = Math.floor(m / 60);
  if (h < 24)
    return `${h} h ${pad2(m % 60)} m`;
  return `${Math.floor(h / 24)} d ${pad2(h % 24)} h`;
}

// "512 B", "1.5 KiB", "12.0 MiB"; "—" for a missing value.
export function formatBytes(n) {
  if (!Number.isFinite(n) || n < 0)
    return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${n.toFixed(1)} ${units[i]}`;
}

// Local wall-clock time "HH:MM:SS" of a ms timestamp.
export function formatClock(ms) {
  if (!Number.isFinite(ms))
    return '';
  const d = new Date(ms);
  return `${pad2(d.getHours())}:${pad2(d.getMinutes())}:` +
    `${pad2(d.getSeconds())}`;
}

// A one-line rendering of any value, cut to `max` characters.
export function summarize(value, max = 120) {
  let text;
  if (value === undefined || value === null)
    return '';
  if (typeof value === 'string')
    text = value;
  else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = String(value);
    }
  }
  text = text.replace(/\s+/g, ' ');
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function pad2(n) {
  return String(n).padStart(2, '0');
}
