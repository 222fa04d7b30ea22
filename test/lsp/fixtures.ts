// Frozen copies of the built-in platforms (as of the language server's tests), so that the
// exact-content assertions do not follow edits of platforms/*.dts. The tests that check the live
// built-in platforms read them from disk.

export const ARM64 = `// DMA Lab built-in platform: an arm64 SoC whose DMA masters do not snoop the CPU caches, behind an
// Arm SMMUv3. Without the right cache maintenance a device reads stale RAM and the CPU reads stale
// cache lines, as on a real board. Every DMA address is an IOVA. Copy this file to make your own.
/dts-v1/;

/ {
	model = "DMA Lab arm64 SoC, SMMUv3, non-coherent DMA";
	compatible = "dmalab,arm64-smmu-noncoherent";
	dmalab,arch = "arm64";
	#address-cells = <2>;
	#size-cells = <2>;
	interrupt-parent = <&gic>;

	/* arm64: ZONE_DMA covers the first 4 GiB of the address space */
	dmalab,zone-dma-limit = <0x1 0x00000000>;
	dmalab,bus-bandwidth = <16000>;

	chosen {
		dmalab,swiotlb-size = <0x04000000>;
	};

	cpus {
		#address-cells = <1>;
		#size-cells = <0>;

		cpu@0 {
			device_type = "cpu";
			compatible = "arm,cortex-a72";
			reg = <0x0>;
			d-cache-line-size = <64>;
			d-cache-size = <0x100000>;	/* 1 MiB */
		};
	};

	/* 2 GiB at 1 GiB, 2 GiB above 32 GiB */
	memory@40000000 {
		device_type = "memory";
		reg = <0x0 0x40000000 0x0 0x80000000>,
		      <0x8 0x80000000 0x0 0x80000000>;
	};

	gic: interrupt-controller@8000000 {
		compatible = "arm,gic-v3";
		reg = <0x0 0x08000000 0x0 0x10000>,
		      <0x0 0x080a0000 0x0 0xf60000>;
		interrupt-controller;
		#interrupt-cells = <3>;
	};

	smmu: iommu@9050000 {
		compatible = "arm,smmu-v3";
		reg = <0x0 0x09050000 0x0 0x20000>;
		/* one cell: the stream id */
		#iommu-cells = <1>;
	};

	soc {
		compatible = "simple-bus";
		#address-cells = <1>;
		#size-cells = <1>;
		ranges = <0x0 0x0 0x0 0x40000000>;

		dad: dad@10000000 {
			compatible = "dmalab,dad";
			reg = <0x10000000 0x1000>;
			interrupts = <0 40 4>;		/* SPI 40, level high */
			iommus = <&smmu 0x100>;
			dmalab,dma-bits = <32>;
			dmalab,bandwidth = <4000>;
		};

		edu: edu@10100000 {
			compatible = "qemu,edu";
			reg = <0x10100000 0x100000>;
			interrupts = <0 41 4>;
			iommus = <&smmu 0x101>;
			dmalab,dma-bits = <28>;
			dmalab,bandwidth = <1000>;
		};

		/* A PL080 system DMA controller: memcpy channels, and slave channels for the request
		   lines of peripherals (#dma-cells: request line, AHB master). Its own stream id: it
		   reads LLIs, buffers and peripheral FIFOs through the SMMU. */
		dmac: dma-controller@10200000 {
			compatible = "arm,pl080", "arm,primecell";
			reg = <0x10200000 0x1000>;
			interrupts = <0 42 4>;
			iommus = <&smmu 0x102>;
			#dma-cells = <2>;
			memcpy-bus-width = <32>;
			memcpy-burst-size = <256>;
			dmalab,bandwidth = <800>;
		};

		/* A UART whose FIFOs the PL080 feeds and drains: request lines 0 (TX) and 1 (RX). It
		   masters nothing itself; it has a stream id like every device of this SoC. */
		uart0: serial@10300000 {
			compatible = "dmalab,uart";
			reg = <0x10300000 0x1000>;
			interrupts = <0 43 4>;
			iommus = <&smmu 0x103>;
			dmas = <&dmac 0 1>, <&dmac 1 1>;
			dma-names = "tx", "rx";
			dmalab,baud = <3000000>;
		};
	};
};
`;

export const ARM32 = `// DMA Lab built-in platform: a 32-bit Arm (LPAE) board with no IOMMU and non-coherent DMA. The
// devices' bus sees RAM through dma-ranges (bus 0x0 = CPU 0x80000000, 512 MiB): the RAM bank above
// 4 GiB is out of every device's reach, so the kernel bounces those buffers through swiotlb.
// Copy this file to make your own.
/dts-v1/;

/ {
	model = "DMA Lab 32-bit Arm board, LPAE, swiotlb, no IOMMU";
	compatible = "dmalab,arm32-swiotlb";
	dmalab,arch = "arm";
	#address-cells = <2>;
	#size-cells = <1>;
	interrupt-parent = <&gic>;

	/* ZONE_DMA: the 256 MiB a 28-bit device reaches (bus 0x0-0x0fffffff) */
	dmalab,zone-dma-limit = <0x0 0x90000000>;
	dmalab,bus-bandwidth = <4000>;

	chosen {
		/* a 16 MiB bounce pool, allocated low */
		dmalab,swiotlb-size = <0x01000000>;
	};

	cpus {
		#address-cells = <1>;
		#size-cells = <0>;

		cpu@0 {
			device_type = "cpu";
			compatible = "arm,cortex-a15";
			reg = <0x0>;
			d-cache-line-size = <64>;
			d-cache-size = <0x80000>;	/* 512 KiB */
		};
	};

	/* 512 MiB low, 256 MiB above 4 GiB (LPAE) */
	memory@80000000 {
		device_type = "memory";
		reg = <0x0 0x80000000 0x20000000>,
		      <0x8 0x80000000 0x10000000>;
	};

	gic: interrupt-controller@2c001000 {
		compatible = "arm,cortex-a15-gic";
		reg = <0x0 0x2c001000 0x1000>,
		      <0x0 0x2c002000 0x2000>;
		interrupt-controller;
		#interrupt-cells = <3>;
	};

	soc {
		compatible = "simple-bus";
		#address-cells = <1>;
		#size-cells = <1>;
		ranges = <0x0 0x0 0x0 0x80000000>;
		/* bus address 0 is CPU address 0x80000000; only the low bank is visible */
		dma-ranges = <0x0 0x0 0x80000000 0x20000000>;

		dad: dad@1c000000 {
			compatible = "dmalab,dad";
			reg = <0x1c000000 0x1000>;
			interrupts = <0 44 4>;
			dmalab,dma-bits = <32>;
			dmalab,bandwidth = <1000>;
		};

		edu: edu@1c100000 {
			compatible = "qemu,edu";
			reg = <0x1c100000 0x100000>;
			interrupts = <0 45 4>;
			dmalab,dma-bits = <28>;
			dmalab,bandwidth = <500>;
		};

		/* A UART whose FIFOs the PL080 feeds and drains: request lines 0 (TX) and 1 (RX). */
		uart0: serial@1c200000 {
			compatible = "dmalab,uart";
			reg = <0x1c200000 0x1000>;
			interrupts = <0 47 4>;
			dmas = <&dmac 0 1>, <&dmac 1 1>;
			dma-names = "tx", "rx";
			dmalab,baud = <3000000>;
		};
	};

	/* The system DMA controller's AHB master sees RAM as the other devices do (bus 0 = CPU
	   0x80000000), except for a 16 MiB window at bus 0x1c000000 where the peripherals appear at
	   their own addresses: a UART FIFO mapped with dma_map_resource is reached there. The RAM
	   behind that window (CPU 0x9c000000-0x9cffffff) is out of the controller's reach. */
	ahb {
		compatible = "simple-bus";
		#address-cells = <1>;
		#size-cells = <1>;
		ranges = <0x0 0x0 0x0 0x80000000>;
		dma-ranges = <0x00000000 0x0 0x80000000 0x1c000000>,
			     <0x1c000000 0x0 0x1c000000 0x01000000>,
			     <0x1d000000 0x0 0x9d000000 0x03000000>;

		dmac: dma-controller@1c300000 {
			compatible = "arm,pl080", "arm,primecell";
			reg = <0x1c300000 0x1000>;
			interrupts = <0 46 4>;
			#dma-cells = <2>;
			memcpy-bus-width = <32>;
			memcpy-burst-size = <256>;
			dmalab,bandwidth = <400>;
		};
	};
};
`;

export const X86 = `// DMA Lab built-in platform: a PC-like x86-64 machine with an Intel VT-d IOMMU.
// Every device snoops the CPU caches (x86 DMA is cache-coherent); every DMA address is an IOVA
// the IOMMU translates through 4-level page tables in RAM. Copy this file to make your own.
/dts-v1/;

/ {
	model = "DMA Lab x86-64 PC with VT-d";
	compatible = "dmalab,x86-64-vtd";
	dmalab,arch = "x86_64";
	#address-cells = <2>;
	#size-cells = <2>;

	/* ZONE_DMA is the first 16 MiB, as on every PC; ZONE_DMA32 the rest below 4 GiB */
	dmalab,zone-dma-limit = <0x0 0x01000000>;
	/* interconnect bandwidth in MB/s: a device never moves data faster */
	dmalab,bus-bandwidth = <16000>;

	chosen {
		/* the swiotlb bounce pool, 64 MiB like the kernel's default */
		dmalab,swiotlb-size = <0x04000000>;
	};

	cpus {
		#address-cells = <1>;
		#size-cells = <0>;

		cpu@0 {
			device_type = "cpu";
			reg = <0>;
			d-cache-line-size = <64>;
			d-cache-size = <0x100000>;	/* 1 MiB */
		};
	};

	/* 2 GiB below the PCI hole, 2 GiB above 4 GiB */
	memory@0 {
		device_type = "memory";
		reg = <0x0 0x00000000 0x0 0x80000000>,
		      <0x1 0x00000000 0x0 0x80000000>;
	};

	ioapic: interrupt-controller@fec00000 {
		compatible = "intel,ioapic";
		reg = <0x0 0xfec00000 0x0 0x1000>;
		interrupt-controller;
		#interrupt-cells = <2>;
	};

	dmar: iommu@fed90000 {
		compatible = "intel,vtd";
		reg = <0x0 0xfed90000 0x0 0x1000>;
		/* one cell: the PCI requester id (bus << 8 | dev << 3 | fn) */
		#iommu-cells = <1>;
	};

	pci: bus@fe000000 {
		compatible = "simple-bus";
		#address-cells = <1>;
		#size-cells = <1>;
		ranges = <0x0 0x0 0x0 0xfff00000>;
		interrupt-parent = <&ioapic>;
		dma-coherent;

		dad: dad@fe000000 {
			compatible = "dmalab,dad";
			reg = <0xfe000000 0x1000>;
			interrupts = <16 4>;		/* level, active high */
			iommus = <&dmar 0x0008>;	/* 00:01.0 */
			dmalab,dma-bits = <32>;
			dmalab,bandwidth = <4000>;	/* MB/s */
		};

		edu: edu@fe100000 {
			compatible = "qemu,edu";
			reg = <0xfe100000 0x100000>;
			interrupts = <17 4>;
			iommus = <&dmar 0x0010>;	/* 00:02.0 */
			dmalab,dma-bits = <28>;
			dmalab,bandwidth = <1000>;
		};

		/* An I/OAT-like memory-to-memory copy engine (found with dma_request_chan_by_mask and
		   DMA_MEMCPY); its descriptors, completion writebacks and buffers go through VT-d. */
		ioat: dma@fe200000 {
			compatible = "intel,ioat";
			reg = <0xfe200000 0x1000>;
			interrupts = <18 4>;
			iommus = <&dmar 0x0020>;	/* 00:04.0 */
			dmalab,bandwidth = <8000>;
		};
	};
};
`;
