// FS_IOC_FIEMAP (include/uapi/linux/fiemap.h, fs.h): a file's extents.

// _IOWR('f', 11, struct fiemap)
export const FS_IOC_FIEMAP = 0xc020660b;

// struct fiemap: fm_start u64 @0, fm_length u64 @8, fm_flags u32 @16,
// fm_mapped_extents u32 @20, fm_extent_count u32 @24, fm_reserved u32 @28;
// then fm_extents[].
export const FIEMAP_SIZE = 32;
// struct fiemap_extent: fe_logical u64 @0, fe_physical u64 @8, fe_length
// u64 @16, fe_reserved64[2], fe_flags u32 @40, fe_reserved[3].
export const FIEMAP_EXTENT_SIZE = 56;

export const FIEMAP_MAX_OFFSET = 0xffffffffffffffffn;

export const FIEMAP_FLAG_SYNC = 0x1;
export const FIEMAP_FLAG_XATTR = 0x2;
export const FIEMAP_FLAG_CACHE = 0x4;

export const FIEMAP_EXTENT_LAST = 0x1;
export const FIEMAP_EXTENT_UNKNOWN = 0x2;
export const FIEMAP_EXTENT_DELALLOC = 0x4;
export const FIEMAP_EXTENT_DATA_INLINE = 0x200;
export const FIEMAP_EXTENT_UNWRITTEN = 0x800;
export const FIEMAP_EXTENT_MERGED = 0x1000;
