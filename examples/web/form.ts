// Input checks for the demo's forms: each number input is checked against its own min, max and
// data-integer attributes, and what is wrong shows right under it; errors that only the library
// can see (e.g. a batch larger than the training set) show in the form's message line.

/** The words before the input in its label ("lr ×", "steps"). */
function fieldName(input: HTMLInputElement): string {
  return input.closest("label")?.firstChild?.textContent?.trim() || input.id;
}

/** The message element under `input`, created on first use. */
function messageOf(input: HTMLInputElement): HTMLElement {
  const id = `${input.id}-error`;
  let message = document.getElementById(id);
  if (!message) {
    message = Object.assign(document.createElement("span"), { id, className: "field-error" });
    message.setAttribute("role", "alert");
    input.insertAdjacentElement("afterend", message);
    input.setAttribute("aria-describedby", id);
  }
  return message;
}

function expected(input: HTMLInputElement): string {
  const [min, max] = [input.min, input.max];
  const kind = input.dataset.integer === undefined ? "a number" : "an integer";
  if (min && max) return `${kind} from ${min} to ${max}`;
  return min ? `${kind} >= ${min}` : max ? `${kind} <= ${max}` : kind;
}

/** The input's value, or null (and a message under it) when it is not within its attributes. */
export function readNumber(input: HTMLInputElement): number | null {
  const value = input.value.trim() === "" ? NaN : Number(input.value);
  const ok =
    Number.isFinite(value) &&
    !(input.min && value < Number(input.min)) &&
    !(input.max && value > Number(input.max)) &&
    (input.dataset.integer === undefined || Number.isInteger(value));
  messageOf(input).textContent = ok ? "" : `${fieldName(input)}: expected ${expected(input)}`;
  input.setAttribute("aria-invalid", String(!ok));
  return ok ? value : null;
}

/**
 * The values of the number inputs with these ids, or null when any is invalid (every field is
 * checked, so every message shows at once).
 */
export function readNumbers<K extends string>(ids: Record<K, string>): Record<K, number> | null {
  const entries = Object.entries<string>(ids).map(([key, id]) => [key, readNumber(document.getElementById(id) as HTMLInputElement)] as const);
  return entries.every(([, v]) => v !== null) ? (Object.fromEntries(entries) as Record<K, number>) : null;
}

/** Checks every number input inside `form` as it is edited. */
export function checkWhileTyping(form: HTMLElement): void {
  form.querySelectorAll<HTMLInputElement>("input[type=number]").forEach((input) => input.addEventListener("input", () => readNumber(input)));
}
