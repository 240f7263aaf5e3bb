// Kernel key management (include/uapi/linux/keyctl.h, man 2 keyctl, add_key,
// request_key, man 7 keyrings): special keyring ids, keyctl operations,
// permission bits, request-key default destinations and capabilities.

// Special keyring ids (key_serial_t, negative).
export const KEY_SPEC_THREAD_KEYRING = -1;
export const KEY_SPEC_PROCESS_KEYRING = -2;
export const KEY_SPEC_SESSION_KEYRING = -3;
export const KEY_SPEC_USER_KEYRING = -4;
export const KEY_SPEC_USER_SESSION_KEYRING = -5;
export const KEY_SPEC_GROUP_KEYRING = -6;
export const KEY_SPEC_REQKEY_AUTH_KEY = -7;
export const KEY_SPEC_REQUESTOR_KEYRING = -8;

// KEYCTL_SET_REQKEY_KEYRING: where request_key links what it constructs.
export const KEY_REQKEY_DEFL_NO_CHANGE = -1;
export const KEY_REQKEY_DEFL_DEFAULT = 0;
export const KEY_REQKEY_DEFL_THREAD_KEYRING = 1;
export const KEY_REQKEY_DEFL_PROCESS_KEYRING = 2;
export const KEY_REQKEY_DEFL_SESSION_KEYRING = 3;
export const KEY_REQKEY_DEFL_USER_KEYRING = 4;
export const KEY_REQKEY_DEFL_USER_SESSION_KEYRING = 5;
export const KEY_REQKEY_DEFL_GROUP_KEYRING = 6;
export const KEY_REQKEY_DEFL_REQUESTOR_KEYRING = 7;

// keyctl(2) operations.
export const KEYCTL_GET_KEYRING_ID = 0;
export const KEYCTL_JOIN_SESSION_KEYRING = 1;
export const KEYCTL_UPDATE = 2;
export const KEYCTL_REVOKE = 3;
export const KEYCTL_CHOWN = 4;
export const KEYCTL_SETPERM = 5;
export const KEYCTL_DESCRIBE = 6;
export const KEYCTL_CLEAR = 7;
export const KEYCTL_LINK = 8;
export const KEYCTL_UNLINK = 9;
export const KEYCTL_SEARCH = 10;
export const KEYCTL_READ = 11;
export const KEYCTL_INSTANTIATE = 12;
export const KEYCTL_NEGATE = 13;
export const KEYCTL_SET_REQKEY_KEYRING = 14;
export const KEYCTL_SET_TIMEOUT = 15;
export const KEYCTL_ASSUME_AUTHORITY = 16;
export const KEYCTL_GET_SECURITY = 17;
export const KEYCTL_SESSION_TO_PARENT = 18;
export const KEYCTL_REJECT = 19;
export const KEYCTL_INSTANTIATE_IOV = 20;
export const KEYCTL_INVALIDATE = 21;
export const KEYCTL_GET_PERSISTENT = 22;
export const KEYCTL_DH_COMPUTE = 23;
export const KEYCTL_PKEY_QUERY = 24;
export const KEYCTL_PKEY_ENCRYPT = 25;
export const KEYCTL_PKEY_DECRYPT = 26;
export const KEYCTL_PKEY_SIGN = 27;
export const KEYCTL_PKEY_VERIFY = 28;
export const KEYCTL_RESTRICT_KEYRING = 29;
export const KEYCTL_MOVE = 30;
export const KEYCTL_CAPABILITIES = 31;
export const KEYCTL_WATCH_KEY = 32;

export const KEYCTL_MOVE_EXCL = 0x01;

// KEYCTL_CAPABILITIES, byte 0 and byte 1.
export const KEYCTL_CAPS0_CAPABILITIES = 0x01;
export const KEYCTL_CAPS0_PERSISTENT_KEYRINGS = 0x02;
export const KEYCTL_CAPS0_DIFFIE_HELLMAN = 0x04;
export const KEYCTL_CAPS0_PUBLIC_KEY = 0x08;
export const KEYCTL_CAPS0_BIG_KEY = 0x10;
export const KEYCTL_CAPS0_INVALIDATE = 0x20;
export const KEYCTL_CAPS0_RESTRICT_KEYRING = 0x40;
export const KEYCTL_CAPS0_MOVE = 0x80;
export const KEYCTL_CAPS1_NS_KEYRING_NAME = 0x01;
export const KEYCTL_CAPS1_NS_KEY_TAG = 0x02;
export const KEYCTL_CAPS1_NOTIFICATIONS = 0x04;

// Permission bits (linux/key.h): possessor, user, group, other.
export const KEY_POS_VIEW = 0x01000000;
export const KEY_POS_READ = 0x02000000;
export const KEY_POS_WRITE = 0x04000000;
export const KEY_POS_SEARCH = 0x08000000;
export const KEY_POS_LINK = 0x10000000;
export const KEY_POS_SETATTR = 0x20000000;
export const KEY_POS_ALL = 0x3f000000;
export const KEY_USR_VIEW = 0x00010000;
export const KEY_USR_READ = 0x00020000;
export const KEY_USR_WRITE = 0x00040000;
export const KEY_USR_SEARCH = 0x00080000;
export const KEY_USR_LINK = 0x00100000;
export const KEY_USR_SETATTR = 0x00200000;
export const KEY_USR_ALL = 0x003f0000;
export const KEY_GRP_ALL = 0x00003f00;
export const KEY_OTH_ALL = 0x0000003f;

// What an operation needs, in the low six bits (as each mask's shifted form).
export const KEY_NEED_VIEW = 0x01;
export const KEY_NEED_READ = 0x02;
export const KEY_NEED_WRITE = 0x04;
export const KEY_NEED_SEARCH = 0x08;
export const KEY_NEED_LINK = 0x10;
export const KEY_NEED_SETATTR = 0x20;

// Limits: a type name (with its NUL), a description, add_key's payload, KEYCTL_UPDATE's.
export const KEY_TYPE_NAME_MAX = 32;
export const KEY_MAX_DESC_SIZE = 4096;
export const KEY_ADD_PAYLOAD_MAX = 1024 * 1024 - 1;
