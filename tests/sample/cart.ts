// A shopping cart for a small web shop.

interface Line {
  sku: string;
  price: number;
  quantity: number;
  coupon?: string;
}

export class Cart {
  private lines: Line[] = [];

  add(line: Line): void {
    this.lines.push(line);
    this.updatedAt = Date.now();
  }

  removeCoupons(): void {
    for (const line of this.lines) {
      delete line.coupon;
    }
  }

  total(): number {
    return this.lines
      .map((l) => l.price * l.quantity)
      .filter((v) => v > 0)
      .reduce((a, b) => a + b, 0);
  }

  slots(n: number): Line[] {
    return new Array(n);
  }

  private updatedAt = 0;
}

export function summary(cart: { lines: Line[]; note?: string }): string {
  delete cart.note;
  let out = "";
  for (const line of cart.lines) {
    out += `${line.sku} x${line.quantity}\n`;
  }
  return out;
}
