/**
 * The Storage SOP Classes a C-GET SCU proposes by default (PS3.4 C.4.3.2: the SCU proposes the contexts of what it
 * is able to receive). A subset of PS3.4 Table B.5-1 (uid and name from /work/shared/reference/storage-sop-classes.csv,
 * edition 2026b): the image, presentation state, waveform, SR, encapsulated document, segmentation, registration and
 * RT classes in common use. Ninety-two, so that the Q/R GET context and up to 35 more classes fit in PS3.8's limit of
 * 128 contexts. Pass `sopClasses` to get() for anything else (Parametric Map, the volumetric presentation states ...).
 */
export const DEFAULT_GET_STORAGE_SOP_CLASSES: readonly string[] = Object.freeze([
  "1.2.840.10008.5.1.4.1.1.1", // Computed Radiography Image Storage
  "1.2.840.10008.5.1.4.1.1.1.1", // Digital X-Ray Image Storage - For Presentation
  "1.2.840.10008.5.1.4.1.1.1.1.1", // Digital X-Ray Image Storage - For Processing
  "1.2.840.10008.5.1.4.1.1.1.2", // Digital Mammography X-Ray Image Storage - For Presentation
  "1.2.840.10008.5.1.4.1.1.1.2.1", // Digital Mammography X-Ray Image Storage - For Processing
  "1.2.840.10008.5.1.4.1.1.1.3", // Digital Intra-Oral X-Ray Image Storage - For Presentation
  "1.2.840.10008.5.1.4.1.1.1.3.1", // Digital Intra-Oral X-Ray Image Storage - For Processing
  "1.2.840.10008.5.1.4.1.1.2", // CT Image Storage
  "1.2.840.10008.5.1.4.1.1.2.1", // Enhanced CT Image Storage
  "1.2.840.10008.5.1.4.1.1.2.2", // Legacy Converted Enhanced CT Image Storage
  "1.2.840.10008.5.1.4.1.1.3.1", // Ultrasound Multi-frame Image Storage
  "1.2.840.10008.5.1.4.1.1.4", // MR Image Storage
  "1.2.840.10008.5.1.4.1.1.4.1", // Enhanced MR Image Storage
  "1.2.840.10008.5.1.4.1.1.4.2", // MR Spectroscopy Storage
  "1.2.840.10008.5.1.4.1.1.4.3", // Enhanced MR Color Image Storage
  "1.2.840.10008.5.1.4.1.1.4.4", // Legacy Converted Enhanced MR Image Storage
  "1.2.840.10008.5.1.4.1.1.6.1", // Ultrasound Image Storage
  "1.2.840.10008.5.1.4.1.1.6.2", // Enhanced US Volume Storage
  "1.2.840.10008.5.1.4.1.1.6.3", // Photoacoustic Image Storage
  "1.2.840.10008.5.1.4.1.1.7", // Secondary Capture Image Storage
  "1.2.840.10008.5.1.4.1.1.7.1", // Multi-frame Single Bit Secondary Capture Image Storage
  "1.2.840.10008.5.1.4.1.1.7.2", // Multi-frame Grayscale Byte Secondary Capture Image Storage
  "1.2.840.10008.5.1.4.1.1.7.3", // Multi-frame Grayscale Word Secondary Capture Image Storage
  "1.2.840.10008.5.1.4.1.1.7.4", // Multi-frame True Color Secondary Capture Image Storage
  "1.2.840.10008.5.1.4.1.1.9.1.1", // 12-lead ECG Waveform Storage
  "1.2.840.10008.5.1.4.1.1.9.1.2", // General ECG Waveform Storage
  "1.2.840.10008.5.1.4.1.1.9.2.1", // Hemodynamic Waveform Storage
  "1.2.840.10008.5.1.4.1.1.9.4.1", // Basic Voice Audio Waveform Storage
  "1.2.840.10008.5.1.4.1.1.11.1", // Grayscale Softcopy Presentation State Storage
  "1.2.840.10008.5.1.4.1.1.11.2", // Color Softcopy Presentation State Storage
  "1.2.840.10008.5.1.4.1.1.11.3", // Pseudo-Color Softcopy Presentation State Storage
  "1.2.840.10008.5.1.4.1.1.11.4", // Blending Softcopy Presentation State Storage
  "1.2.840.10008.5.1.4.1.1.11.5", // XA/XRF Grayscale Softcopy Presentation State Storage
  "1.2.840.10008.5.1.4.1.1.12.1", // X-Ray Angiographic Image Storage
  "1.2.840.10008.5.1.4.1.1.12.1.1", // Enhanced XA Image Storage
  "1.2.840.10008.5.1.4.1.1.12.2", // X-Ray Radiofluoroscopic Image Storage
  "1.2.840.10008.5.1.4.1.1.12.2.1", // Enhanced XRF Image Storage
  "1.2.840.10008.5.1.4.1.1.13.1.1", // X-Ray 3D Angiographic Image Storage
  "1.2.840.10008.5.1.4.1.1.13.1.2", // X-Ray 3D Craniofacial Image Storage
  "1.2.840.10008.5.1.4.1.1.13.1.3", // Breast Tomosynthesis Image Storage
  "1.2.840.10008.5.1.4.1.1.13.1.4", // Breast Projection X-Ray Image Storage - For Presentation
  "1.2.840.10008.5.1.4.1.1.13.1.5", // Breast Projection X-Ray Image Storage - For Processing
  "1.2.840.10008.5.1.4.1.1.20", // Nuclear Medicine Image Storage
  "1.2.840.10008.5.1.4.1.1.30", // Parametric Map Storage
  "1.2.840.10008.5.1.4.1.1.66", // Raw Data Storage
  "1.2.840.10008.5.1.4.1.1.66.1", // Spatial Registration Storage
  "1.2.840.10008.5.1.4.1.1.66.2", // Spatial Fiducials Storage
  "1.2.840.10008.5.1.4.1.1.66.3", // Deformable Spatial Registration Storage
  "1.2.840.10008.5.1.4.1.1.66.4", // Segmentation Storage
  "1.2.840.10008.5.1.4.1.1.66.5", // Surface Segmentation Storage
  "1.2.840.10008.5.1.4.1.1.67", // Real World Value Mapping Storage
  "1.2.840.10008.5.1.4.1.1.77.1.1", // VL Endoscopic Image Storage
  "1.2.840.10008.5.1.4.1.1.77.1.1.1", // Video Endoscopic Image Storage
  "1.2.840.10008.5.1.4.1.1.77.1.2", // VL Microscopic Image Storage
  "1.2.840.10008.5.1.4.1.1.77.1.2.1", // Video Microscopic Image Storage
  "1.2.840.10008.5.1.4.1.1.77.1.3", // VL Slide-Coordinates Microscopic Image Storage
  "1.2.840.10008.5.1.4.1.1.77.1.4", // VL Photographic Image Storage
  "1.2.840.10008.5.1.4.1.1.77.1.4.1", // Video Photographic Image Storage
  "1.2.840.10008.5.1.4.1.1.77.1.5.1", // Ophthalmic Photography 8 Bit Image Storage
  "1.2.840.10008.5.1.4.1.1.77.1.5.2", // Ophthalmic Photography 16 Bit Image Storage
  "1.2.840.10008.5.1.4.1.1.77.1.5.4", // Ophthalmic Tomography Image Storage
  "1.2.840.10008.5.1.4.1.1.77.1.6", // VL Whole Slide Microscopy Image Storage
  "1.2.840.10008.5.1.4.1.1.88.11", // Basic Text SR Storage
  "1.2.840.10008.5.1.4.1.1.88.22", // Enhanced SR Storage
  "1.2.840.10008.5.1.4.1.1.88.33", // Comprehensive SR Storage
  "1.2.840.10008.5.1.4.1.1.88.34", // Comprehensive 3D SR Storage
  "1.2.840.10008.5.1.4.1.1.88.35", // Extensible SR Storage
  "1.2.840.10008.5.1.4.1.1.88.40", // Procedure Log Storage
  "1.2.840.10008.5.1.4.1.1.88.50", // Mammography CAD SR Storage
  "1.2.840.10008.5.1.4.1.1.88.59", // Key Object Selection Document Storage
  "1.2.840.10008.5.1.4.1.1.88.65", // Chest CAD SR Storage
  "1.2.840.10008.5.1.4.1.1.88.67", // X-Ray Radiation Dose SR Storage
  "1.2.840.10008.5.1.4.1.1.88.68", // Radiopharmaceutical Radiation Dose SR Storage
  "1.2.840.10008.5.1.4.1.1.88.69", // Colon CAD SR Storage
  "1.2.840.10008.5.1.4.1.1.88.70", // Implantation Plan SR Storage
  "1.2.840.10008.5.1.4.1.1.88.71", // Acquisition Context SR Storage
  "1.2.840.10008.5.1.4.1.1.88.72", // Simplified Adult Echo SR Storage
  "1.2.840.10008.5.1.4.1.1.88.73", // Patient Radiation Dose SR Storage
  "1.2.840.10008.5.1.4.1.1.104.1", // Encapsulated PDF Storage
  "1.2.840.10008.5.1.4.1.1.104.2", // Encapsulated CDA Storage
  "1.2.840.10008.5.1.4.1.1.128", // Positron Emission Tomography Image Storage
  "1.2.840.10008.5.1.4.1.1.130", // Enhanced PET Image Storage
  "1.2.840.10008.5.1.4.1.1.128.1", // Legacy Converted Enhanced PET Image Storage
  "1.2.840.10008.5.1.4.1.1.481.1", // RT Image Storage
  "1.2.840.10008.5.1.4.1.1.481.2", // RT Dose Storage
  "1.2.840.10008.5.1.4.1.1.481.3", // RT Structure Set Storage
  "1.2.840.10008.5.1.4.1.1.481.4", // RT Beams Treatment Record Storage
  "1.2.840.10008.5.1.4.1.1.481.5", // RT Plan Storage
  "1.2.840.10008.5.1.4.1.1.481.6", // RT Brachy Treatment Record Storage
  "1.2.840.10008.5.1.4.1.1.481.7", // RT Treatment Summary Record Storage
  "1.2.840.10008.5.1.4.1.1.481.8", // RT Ion Plan Storage
  "1.2.840.10008.5.1.4.34.7", // RT Beams Delivery Instruction Storage
]);
