/** An error meant for the user: printed as one line (no stack), exits with `exitCode`. */
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** Bad input the user can fix (a profile, a flag value): exit code 2. */
export class ConfigError extends UserError {
  constructor(message: string) {
    super(message, 2);
  }
}
