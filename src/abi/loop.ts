// Loop devices (include/uapi/linux/loop.h, include/uapi/linux/major.h).

export const LOOP_MAJOR = 7;
export const LOOP_CTRL_MINOR = 237; // /dev/loop-control: misc (10, 237)

export const LO_NAME_SIZE = 64;
export const LO_KEY_SIZE = 32;

export const LO_FLAGS_READ_ONLY = 1;
export const LO_FLAGS_AUTOCLEAR = 4;
export const LO_FLAGS_PARTSCAN = 8;
export const LO_FLAGS_DIRECT_IO = 16;
// What LOOP_SET_STATUS may set and clear (LOOP_SET_STATUS_SETTABLE_FLAGS, …_CLEARABLE_FLAGS).
export const LOOP_SET_STATUS_SETTABLE_FLAGS = LO_FLAGS_AUTOCLEAR | LO_FLAGS_PARTSCAN;
export const LOOP_SET_STATUS_CLEARABLE_FLAGS = LO_FLAGS_AUTOCLEAR;
// What LOOP_CONFIGURE takes (LOOP_CONFIGURE_SETTABLE_FLAGS).
export const LOOP_CONFIGURE_SETTABLE_FLAGS = LO_FLAGS_READ_ONLY | LO_FLAGS_AUTOCLEAR | LO_FLAGS_PARTSCAN | LO_FLAGS_DIRECT_IO;

export const LOOP_SET_FD = 0x4c00;
export const LOOP_CLR_FD = 0x4c01;
export const LOOP_SET_STATUS = 0x4c02;
export const LOOP_GET_STATUS = 0x4c03;
export const LOOP_SET_STATUS64 = 0x4c04;
export const LOOP_GET_STATUS64 = 0x4c05;
export const LOOP_CHANGE_FD = 0x4c06;
export const LOOP_SET_CAPACITY = 0x4c07;
export const LOOP_SET_DIRECT_IO = 0x4c08;
export const LOOP_SET_BLOCK_SIZE = 0x4c09;
export const LOOP_CONFIGURE = 0x4c0a;
export const LOOP_CTL_ADD = 0x4c80;
export const LOOP_CTL_REMOVE = 0x4c81;
export const LOOP_CTL_GET_FREE = 0x4c82;

// struct loop_info (the old one; riscv64: __kernel_old_dev_t is a u32, long is 8 bytes).
export const LOOP_INFO = {
  lo_number: 0, lo_device: 4, lo_inode: 8, lo_rdevice: 16, lo_offset: 20, lo_encrypt_type: 24,
  lo_encrypt_key_size: 28, lo_flags: 32, lo_name: 36, lo_encrypt_key: 100, lo_init: 136, SIZE: 160,
} as const;

// struct loop_info64.
export const LOOP_INFO64 = {
  lo_device: 0, lo_inode: 8, lo_rdevice: 16, lo_offset: 24, lo_sizelimit: 32, lo_number: 40,
  lo_encrypt_type: 44, lo_encrypt_key_size: 48, lo_flags: 52, lo_file_name: 56, lo_crypt_name: 120,
  lo_encrypt_key: 184, lo_init: 216, SIZE: 232,
} as const;

// struct loop_config: fd, block_size, a loop_info64, 8 reserved u64.
export const LOOP_CONFIG = { fd: 0, block_size: 4, info: 8, SIZE: 304 } as const;
