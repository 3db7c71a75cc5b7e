/** A labelled input: every field of the console is one of these, so none lacks its label. */
export function Field(props: {
  id: string;
  label: string;
  type?: "text" | "email" | "password";
  autocomplete?: string;
  required?: boolean;
  hint?: string;
  inputmode?: "numeric" | "text";
  maxlength?: number;
}) {
  const hintId = props.hint ? `${props.id}-hint` : undefined;
  return (
    <>
      <label for={props.id}>{props.label}</label>
      {props.hint ? (
        <p class="hint" id={hintId}>
          {props.hint}
        </p>
      ) : null}
      <input
        id={props.id}
        name={props.id}
        type={props.type ?? "text"}
        autocomplete={props.autocomplete ?? "off"}
        required={props.required ?? true}
        inputmode={props.inputmode}
        maxlength={props.maxlength}
        aria-describedby={hintId}
      />
    </>
  );
}

/** A checkbox with its label wrapped around it. */
export function Check(props: { id: string; label: string; checked?: boolean; value?: string }) {
  return (
    <label class="check" for={props.id}>
      <input type="checkbox" id={props.id} name={props.id} value={props.value} checked={props.checked ?? false} />
      {props.label}
    </label>
  );
}
