/**
 * Tasks and their kernel stacks. A task is the context a driver entry point runs in (a probe
 * worker, a user process in a system call, an interrupt). `stack_buffer()` carves a buffer out of
 * the current task's 16 KiB stack, so that mapping it for DMA can be caught; the frame is popped
 * when the entry point returns.
 */
import { KernelOops } from './cpu';
import type { Kernel } from './kernel';
import { GFP_KERNEL } from './gfp';

export const THREAD_SIZE = 16384;

export class Task {
  /** Lowest linear address of the stack (it grows down from stackKva + THREAD_SIZE). */
  readonly stackKva: number;
  readonly stackPhys: number;
  private sp: number;

  constructor(
    readonly pid: number,
    readonly comm: string,
    k: Kernel,
  ) {
    const phys = k.pages.alloc(2, GFP_KERNEL, 'stack');
    if (phys < 0) throw new KernelOops(`out of memory for the kernel stack of ${comm}`);
    this.stackPhys = phys;
    this.stackKva = k.as.linearVa(phys);
    this.sp = this.stackKva + THREAD_SIZE - 256; // room for the frames above the driver
  }

  /** Reserve `size` bytes on the stack (16-byte aligned). */
  push(size: number): number {
    const bytes = Math.ceil(size / 16) * 16;
    if (this.sp - bytes < this.stackKva + 512) throw new KernelOops(`kernel stack overflow in ${this.comm} (pid ${this.pid}): stack_buffer(${size}) does not fit in THREAD_SIZE=${THREAD_SIZE}`);
    this.sp -= bytes;
    return this.sp;
  }

  /** Where the stack pointer is, to pop back to when the entry point returns. */
  mark(): number {
    return this.sp;
  }

  popTo(mark: number): void {
    this.sp = mark;
  }
}

export class Tasks {
  private nextPid = 1;
  current?: Task;
  readonly all: Task[] = [];

  constructor(private readonly k: Kernel) {}

  create(comm: string): Task {
    const t = new Task(this.nextPid++, comm, this.k);
    this.all.push(t);
    return t;
  }

  /** Run an entry point as `task`: it is current while its synchronous parts run; its stack frame is popped after. */
  async enter<T>(task: Task, fn: () => T | Promise<T>): Promise<T> {
    const prev = this.current;
    const mark = task.mark();
    this.current = task;
    try {
      return await fn();
    } finally {
      task.popTo(mark);
      this.current = prev;
    }
  }
}
