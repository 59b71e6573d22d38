/** The Hono environment shared by every route file. */

/** Who is calling, set by the request-JWT middleware (SPEC §2.2 step 4). */
export interface RequestAuth {
  readonly userId: string;
  readonly username: string;
  readonly appId: string;
  /** The scopes the user approved for this app. */
  readonly scopes: readonly string[];
  readonly device?: { readonly id: string; readonly name?: string };
}

export type AppEnv = {
  Variables: {
    requestId: string;
    auth: RequestAuth;
    /** Whether sign-up is open (`REGISTRATION`), for the pages' header. */
    registrationOpen: boolean;
  };
};
