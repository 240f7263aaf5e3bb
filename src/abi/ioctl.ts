// ioctl number encoding and the terminal ABI for riscv64
// (asm-generic/ioctl.h, asm-generic/ioctls.h, asm-generic/termbits.h,
// asm-generic/termios.h). Flag values in octal, as Linux writes them.

import { struct, bytes } from "./struct.js";

// ioctl request encoding: dir(2) size(14) type(8) nr(8)
export const _IOC_NRBITS = 8;
export const _IOC_TYPEBITS = 8;
export const _IOC_SIZEBITS = 14;
export const _IOC_DIRBITS = 2;
export const _IOC_NRSHIFT = 0;
export const _IOC_TYPESHIFT = _IOC_NRSHIFT + _IOC_NRBITS;
export const _IOC_SIZESHIFT = _IOC_TYPESHIFT + _IOC_TYPEBITS;
export const _IOC_DIRSHIFT = _IOC_SIZESHIFT + _IOC_SIZEBITS;
export const _IOC_NONE = 0;
export const _IOC_WRITE = 1;
export const _IOC_READ = 2;

const typeCode = (t: number | string): number => (typeof t === "string" ? t.charCodeAt(0) : t);

export function _IOC(dir: number, type: number | string, nr: number, size: number): number {
  return ((dir << _IOC_DIRSHIFT) | (typeCode(type) << _IOC_TYPESHIFT) | (nr << _IOC_NRSHIFT) | (size << _IOC_SIZESHIFT)) >>> 0;
}
export const _IO = (type: number | string, nr: number): number => _IOC(_IOC_NONE, type, nr, 0);
export const _IOR = (type: number | string, nr: number, size: number): number => _IOC(_IOC_READ, type, nr, size);
export const _IOW = (type: number | string, nr: number, size: number): number => _IOC(_IOC_WRITE, type, nr, size);
export const _IOWR = (type: number | string, nr: number, size: number): number =>
  _IOC(_IOC_READ | _IOC_WRITE, type, nr, size);
export const _IOC_DIR = (nr: number): number => (nr >>> _IOC_DIRSHIFT) & 0x3;
export const _IOC_TYPE = (nr: number): number => (nr >>> _IOC_TYPESHIFT) & 0xff;
export const _IOC_NR = (nr: number): number => (nr >>> _IOC_NRSHIFT) & 0xff;
export const _IOC_SIZE = (nr: number): number => (nr >>> _IOC_SIZESHIFT) & 0x3fff;

// struct termios as TCGETS/TCSETS* use it (asm-generic: no speed fields).
export const NCCS = 19;
export const termios = struct("struct termios", 36, {
  c_iflag: [0, "u32"],
  c_oflag: [4, "u32"],
  c_cflag: [8, "u32"],
  c_lflag: [12, "u32"],
  c_line: [16, "u8"],
  c_cc: [17, bytes(NCCS)],
}, 4);

/** struct termios2 (TCGETS2/TCSETS2*): termios plus input/output speeds. */
export const termios2 = struct("struct termios2", 44, {
  c_iflag: [0, "u32"],
  c_oflag: [4, "u32"],
  c_cflag: [8, "u32"],
  c_lflag: [12, "u32"],
  c_line: [16, "u8"],
  c_cc: [17, bytes(NCCS)],
  c_ispeed: [36, "u32"],
  c_ospeed: [40, "u32"],
}, 4);

/** struct termio (TCGETA/TCSETA*): 16-bit flags, 8 control characters. */
export const NCC = 8;
export const termio = struct("struct termio", 18, {
  c_iflag: [0, "u16"],
  c_oflag: [2, "u16"],
  c_cflag: [4, "u16"],
  c_lflag: [6, "u16"],
  c_line: [8, "u8"],
  c_cc: [9, bytes(NCC)],
}, 2);

/** struct winsize. */
export const winsize = struct("struct winsize", 8, {
  ws_row: [0, "u16"],
  ws_col: [2, "u16"],
  ws_xpixel: [4, "u16"],
  ws_ypixel: [6, "u16"],
}, 2);

// tty ioctls
export const TCGETS = 0x5401;
export const TCSETS = 0x5402;
export const TCSETSW = 0x5403;
export const TCSETSF = 0x5404;
export const TCGETA = 0x5405;
export const TCSETA = 0x5406;
export const TCSETAW = 0x5407;
export const TCSETAF = 0x5408;
export const TCSBRK = 0x5409;
export const TCXONC = 0x540a;
export const TCFLSH = 0x540b;
export const TIOCEXCL = 0x540c;
export const TIOCNXCL = 0x540d;
export const TIOCSCTTY = 0x540e;
export const TIOCGPGRP = 0x540f;
export const TIOCSPGRP = 0x5410;
export const TIOCOUTQ = 0x5411;
export const TIOCSTI = 0x5412;
export const TIOCGWINSZ = 0x5413;
export const TIOCSWINSZ = 0x5414;
export const TIOCMGET = 0x5415;
export const TIOCMBIS = 0x5416;
export const TIOCMBIC = 0x5417;
export const TIOCMSET = 0x5418;
export const TIOCGSOFTCAR = 0x5419;
export const TIOCSSOFTCAR = 0x541a;
export const FIONREAD = 0x541b;
export const TIOCINQ = FIONREAD;
export const TIOCLINUX = 0x541c;
export const TIOCCONS = 0x541d;
export const TIOCGSERIAL = 0x541e;
export const TIOCSSERIAL = 0x541f;
export const TIOCPKT = 0x5420;
export const FIONBIO = 0x5421;
export const TIOCNOTTY = 0x5422;
export const TIOCSETD = 0x5423;
export const TIOCGETD = 0x5424;
export const TCSBRKP = 0x5425;
export const TIOCSBRK = 0x5427;
export const TIOCCBRK = 0x5428;
export const TIOCGSID = 0x5429;
export const TCGETS2 = _IOR("T", 0x2a, termios2.size);
export const TCSETS2 = _IOW("T", 0x2b, termios2.size);
export const TCSETSW2 = _IOW("T", 0x2c, termios2.size);
export const TCSETSF2 = _IOW("T", 0x2d, termios2.size);
export const TIOCGRS485 = 0x542e;
export const TIOCSRS485 = 0x542f;
/** Get the pty number of a master (unsigned int). */
export const TIOCGPTN = _IOR("T", 0x30, 4);
/** Lock/unlock the pty slave (int). */
export const TIOCSPTLCK = _IOW("T", 0x31, 4);
export const TIOCGDEV = _IOR("T", 0x32, 4);
export const TCGETX = 0x5432;
export const TCSETX = 0x5433;
export const TCSETXF = 0x5434;
export const TCSETXW = 0x5435;
export const TIOCSIG = _IOW("T", 0x36, 4);
export const TIOCVHANGUP = 0x5437;
export const TIOCGPKT = _IOR("T", 0x38, 4);
export const TIOCGPTLCK = _IOR("T", 0x39, 4);
export const TIOCGEXCL = _IOR("T", 0x40, 4);
/** Open the pty slave of a master; returns an fd. */
export const TIOCGPTPEER = _IO("T", 0x41);
export const FIONCLEX = 0x5450;
export const FIOCLEX = 0x5451;
export const FIOASYNC = 0x5452;
export const TIOCSERCONFIG = 0x5453;
export const TIOCSERGWILD = 0x5454;
export const TIOCSERSWILD = 0x5455;
export const TIOCGLCKTRMIOS = 0x5456;
export const TIOCSLCKTRMIOS = 0x5457;
export const TIOCSERGSTRUCT = 0x5458;
export const TIOCSERGETLSR = 0x5459;
export const TIOCSERGETMULTI = 0x545a;
export const TIOCSERSETMULTI = 0x545b;
export const TIOCMIWAIT = 0x545c;
export const TIOCGICOUNT = 0x545d;
export const FIOQSIZE = 0x5460;

// TIOCPKT packet header bits
export const TIOCPKT_DATA = 0;
export const TIOCPKT_FLUSHREAD = 1;
export const TIOCPKT_FLUSHWRITE = 2;
export const TIOCPKT_STOP = 4;
export const TIOCPKT_START = 8;
export const TIOCPKT_NOSTOP = 16;
export const TIOCPKT_DOSTOP = 32;
export const TIOCPKT_IOCTL = 64;
export const TIOCSER_TEMT = 0x01;

// modem lines (TIOCM*)
export const TIOCM_LE = 0x001;
export const TIOCM_DTR = 0x002;
export const TIOCM_RTS = 0x004;
export const TIOCM_ST = 0x008;
export const TIOCM_SR = 0x010;
export const TIOCM_CTS = 0x020;
export const TIOCM_CAR = 0x040;
export const TIOCM_RNG = 0x080;
export const TIOCM_DSR = 0x100;
export const TIOCM_CD = TIOCM_CAR;
export const TIOCM_RI = TIOCM_RNG;
export const TIOCM_OUT1 = 0x2000;
export const TIOCM_OUT2 = 0x4000;
export const TIOCM_LOOP = 0x8000;

// c_cc indexes
export const VINTR = 0;
export const VQUIT = 1;
export const VERASE = 2;
export const VKILL = 3;
export const VEOF = 4;
export const VTIME = 5;
export const VMIN = 6;
export const VSWTC = 7;
export const VSTART = 8;
export const VSTOP = 9;
export const VSUSP = 10;
export const VEOL = 11;
export const VREPRINT = 12;
export const VDISCARD = 13;
export const VWERASE = 14;
export const VLNEXT = 15;
export const VEOL2 = 16;

// c_iflag
export const IGNBRK = 0o000001;
export const BRKINT = 0o000002;
export const IGNPAR = 0o000004;
export const PARMRK = 0o000010;
export const INPCK = 0o000020;
export const ISTRIP = 0o000040;
export const INLCR = 0o000100;
export const IGNCR = 0o000200;
export const ICRNL = 0o000400;
export const IUCLC = 0o001000;
export const IXON = 0o002000;
export const IXANY = 0o004000;
export const IXOFF = 0o010000;
export const IMAXBEL = 0o020000;
export const IUTF8 = 0o040000;

// c_oflag
export const OPOST = 0o000001;
export const OLCUC = 0o000002;
export const ONLCR = 0o000004;
export const OCRNL = 0o000010;
export const ONOCR = 0o000020;
export const ONLRET = 0o000040;
export const OFILL = 0o000100;
export const OFDEL = 0o000200;
export const NLDLY = 0o000400;
export const NL0 = 0o000000;
export const NL1 = 0o000400;
export const CRDLY = 0o003000;
export const CR0 = 0o000000;
export const CR1 = 0o001000;
export const CR2 = 0o002000;
export const CR3 = 0o003000;
export const TABDLY = 0o014000;
export const TAB0 = 0o000000;
export const TAB1 = 0o004000;
export const TAB2 = 0o010000;
export const TAB3 = 0o014000;
export const XTABS = 0o014000;
export const BSDLY = 0o020000;
export const BS0 = 0o000000;
export const BS1 = 0o020000;
export const VTDLY = 0o040000;
export const VT0 = 0o000000;
export const VT1 = 0o040000;
export const FFDLY = 0o100000;
export const FF0 = 0o000000;
export const FF1 = 0o100000;

// c_cflag
export const CBAUD = 0o010017;
export const B0 = 0o000000;
export const B50 = 0o000001;
export const B75 = 0o000002;
export const B110 = 0o000003;
export const B134 = 0o000004;
export const B150 = 0o000005;
export const B200 = 0o000006;
export const B300 = 0o000007;
export const B600 = 0o000010;
export const B1200 = 0o000011;
export const B1800 = 0o000012;
export const B2400 = 0o000013;
export const B4800 = 0o000014;
export const B9600 = 0o000015;
export const B19200 = 0o000016;
export const B38400 = 0o000017;
export const EXTA = B19200;
export const EXTB = B38400;
export const CSIZE = 0o000060;
export const CS5 = 0o000000;
export const CS6 = 0o000020;
export const CS7 = 0o000040;
export const CS8 = 0o000060;
export const CSTOPB = 0o000100;
export const CREAD = 0o000200;
export const PARENB = 0o000400;
export const PARODD = 0o001000;
export const HUPCL = 0o002000;
export const CLOCAL = 0o004000;
export const CBAUDEX = 0o010000;
export const BOTHER = 0o010000;
export const B57600 = 0o010001;
export const B115200 = 0o010002;
export const B230400 = 0o010003;
export const B460800 = 0o010004;
export const B500000 = 0o010005;
export const B576000 = 0o010006;
export const B921600 = 0o010007;
export const B1000000 = 0o010010;
export const B1152000 = 0o010011;
export const B1500000 = 0o010012;
export const B2000000 = 0o010013;
export const B2500000 = 0o010014;
export const B3000000 = 0o010015;
export const B3500000 = 0o010016;
export const B4000000 = 0o010017;
export const CIBAUD = 0o02003600000;
export const CMSPAR = 0o10000000000;
export const CRTSCTS = 0o20000000000;
/** Shift from CBAUD to CIBAUD. */
export const IBSHIFT = 16;

// c_lflag
export const ISIG = 0o000001;
export const ICANON = 0o000002;
export const XCASE = 0o000004;
export const ECHO = 0o000010;
export const ECHOE = 0o000020;
export const ECHOK = 0o000040;
export const ECHONL = 0o000100;
export const NOFLSH = 0o000200;
export const TOSTOP = 0o000400;
export const ECHOCTL = 0o001000;
export const ECHOPRT = 0o002000;
export const ECHOKE = 0o004000;
export const FLUSHO = 0o010000;
export const PENDIN = 0o040000;
export const IEXTEN = 0o100000;
export const EXTPROC = 0o200000;

// tcflow (TCXONC)
export const TCOOFF = 0;
export const TCOON = 1;
export const TCIOFF = 2;
export const TCION = 3;
// tcflush (TCFLSH)
export const TCIFLUSH = 0;
export const TCOFLUSH = 1;
export const TCIOFLUSH = 2;
// tcsetattr optional actions
export const TCSANOW = 0;
export const TCSADRAIN = 1;
export const TCSAFLUSH = 2;

// line disciplines
export const N_TTY = 0;

/** Baud rate of each Bnnn code (index = code & CBAUD, with CBAUDEX codes at 16..31). */
export const BAUD_RATES: ReadonlyMap<number, number> = new Map([
  [B0, 0], [B50, 50], [B75, 75], [B110, 110], [B134, 134], [B150, 150], [B200, 200], [B300, 300],
  [B600, 600], [B1200, 1200], [B1800, 1800], [B2400, 2400], [B4800, 4800], [B9600, 9600],
  [B19200, 19200], [B38400, 38400], [B57600, 57600], [B115200, 115200], [B230400, 230400],
  [B460800, 460800], [B500000, 500000], [B576000, 576000], [B921600, 921600], [B1000000, 1000000],
  [B1152000, 1152000], [B1500000, 1500000], [B2000000, 2000000], [B2500000, 2500000],
  [B3000000, 3000000], [B3500000, 3500000], [B4000000, 4000000],
]);

/** The control characters a new tty starts with (^C ^\ DEL ^U ^D 0 1 0 ^Q ^S ^Z 0 ^R ^O ^W ^V 0, then 0 0). */
export const INIT_C_CC: Readonly<Uint8Array> = Uint8Array.of(
  0x03, 0x1c, 0x7f, 0x15, 0x04, 0x00, 0x01, 0x00, 0x11, 0x13, 0x1a, 0x00, 0x12, 0x0f, 0x17, 0x16, 0x00, 0x00, 0x00,
);
/** Flags of a new tty (the kernel's standard termios). */
export const INIT_C_IFLAG = ICRNL | IXON;
export const INIT_C_OFLAG = OPOST | ONLCR;
export const INIT_C_CFLAG = B38400 | CS8 | CREAD | HUPCL;
export const INIT_C_LFLAG = ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN;

// The random device's ioctls (linux/random.h).
export const RNDGETENTCNT = 0x80045200;
export const RNDADDTOENTCNT = 0x40045201;
export const RNDGETPOOL = 0x80085202;
export const RNDADDENTROPY = 0x40085203;
export const RNDZAPENTCNT = 0x5204;
export const RNDCLEARPOOL = 0x5206;
export const RNDRESEEDCRNG = 0x5207;
