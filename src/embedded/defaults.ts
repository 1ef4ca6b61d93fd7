/** Defaults shared by the embedded API and the CLI, in a module of their own so the CLI loads nothing else for them. */
export const DATA_DIR_DEFAULT = './brook-data';
