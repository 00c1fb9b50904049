/** A failed action's message and where the problem is (file, row, column, field), as the core said it. */
export function ErrorAlert({ error, className = 'data-error' }: { error: { message: string; details: readonly string[] }; className?: string }) {
  return (
    <div role="alert" className={className}>
      <p>{error.message}</p>
      {error.details.length > 0 && (
        <ul>
          {error.details.map((detail) => (
            <li key={detail}>{detail}</li>
          ))}
        </ul>
      )}
    </div>
  )
}
