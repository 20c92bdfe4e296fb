/**
 * A user name and password side by side: the row every "log in to a node" form shares.
 */
export interface CredentialsFieldsProps {
  username: string;
  password: string;
  onUsername: (value: string) => void;
  onPassword: (value: string) => void;
  autoFocusPassword?: boolean;
}

export function CredentialsFields({ username, password, onUsername, onPassword, autoFocusPassword }: CredentialsFieldsProps) {
  return (
    <div className="row">
      <label className="field grow">
        <span>User name</span>
        <input name="username" value={username} onChange={(e) => onUsername(e.target.value)} autoComplete="username" />
      </label>
      <label className="field grow">
        <span>Password</span>
        <input
          name="password"
          type="password"
          value={password}
          onChange={(e) => onPassword(e.target.value)}
          autoComplete="current-password"
          autoFocus={autoFocusPassword}
        />
      </label>
    </div>
  );
}
