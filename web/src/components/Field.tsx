import { type InputHTMLAttributes, type ReactNode, useId } from 'react';

type FieldProps = InputHTMLAttributes<HTMLInputElement> & { label: string; hint?: ReactNode };

/** A labelled input; the hint is tied to it with aria-describedby. */
export function Field({ label, hint, id, ...input }: FieldProps) {
  const generated = useId();
  const inputId = id ?? generated;
  const hintId = hint === undefined ? undefined : `${inputId}-hint`;
  return (
    <div className="field">
      <label htmlFor={inputId}>{label}</label>
      <input id={inputId} aria-describedby={hintId} {...input} />
      {hint === undefined ? null : (
        <small id={hintId} className="hint">
          {hint}
        </small>
      )}
    </div>
  );
}

type NumberFieldProps = Omit<FieldProps, 'type' | 'value' | 'onChange'> & {
  value: number;
  onValue(value: number): void;
};

/** A labelled number input whose changes arrive as numbers. */
export function NumberField({ onValue, ...props }: NumberFieldProps) {
  return <Field type="number" {...props} onChange={(e) => onValue(Number(e.target.value))} />;
}
